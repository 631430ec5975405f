import { type Config, signingKeySecrets } from '../../platform/config.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { platformErrors } from '../../platform/http/errors.ts';
import type { TenureModule } from '../../platform/module.ts';
import type { Caller } from './audit.ts';
import { cleanUpIdentity } from './cleanup.ts';
import { register } from './register.ts';
import { identityRoutes } from './routes.ts';
import { RegisterBody, type UserReply } from './schemas.ts';
import { toUserReply, userByEmail, userById } from './store.ts';
import { accessTokenVerifier, rotateSigningKeys, signAccessToken } from './tokens.ts';

/**
 * Identity: accounts, sign-in, sessions and the access tokens that prove who calls.
 *
 * Other modules and the app may use what this file exports: the access-token verifier the app
 * installs as the platform's authentication, the claim names, token signing for a session, and a
 * user's account. Sign-in and refresh set the `org` and `role` claims from the memberships module
 * (`ModuleDependencies.memberships`), null without one.
 */
export { accessTokenLifetimeSeconds, tokenAudience, tokenIssuer } from './tokens.ts';

/**
 * Signs an access token for a session of the user, acting in an organization with a role there:
 * what switching the acting organization returns. The configuration holds the secrets that
 * decrypt the signing keys.
 */
export async function signSessionAccessToken(
  tx: Tx,
  principal: { userId: string; sessionId: string; orgId: string | null; role: string | null },
  config: Config,
): Promise<{ accessToken: string; expiresIn: number }> {
  return signAccessToken(tx, principal, { secrets: signingKeySecrets(config) });
}

/** A user's account as other modules may see it (never the password hash), or undefined. */
export async function findUser(db: Queryable, userId: string): Promise<UserReply | undefined> {
  const user = await userById(db, userId);
  return user ? toUserReply(user) : undefined;
}

/** The account that uses an e-mail address (in any case), or undefined. */
export async function findUserByEmail(db: Queryable, email: string): Promise<UserReply | undefined> {
  const user = await userByEmail(db, email.trim());
  return user ? toUserReply(user) : undefined;
}

/**
 * Opens an account without the sign-up route (an operator making the platform's first admin),
 * under registration's rules for the e-mail and the password and with its event and audit entry.
 * Refuses with `request.validation_failed`, `user.password_rejected` or `user.email_taken`.
 */
export async function openAccount(tx: Tx, options: { caller: Caller; email: string; password: string }): Promise<UserReply> {
  const body = RegisterBody.safeParse({ email: options.email, password: options.password });
  if (!body.success) {
    const errors = body.error.issues.map((issue) => ({ path: issue.path.join('.'), code: issue.code, message: issue.message }));
    throw platformErrors.raise('validation_failed', errors.map((error) => `${error.path}: ${error.message}`).join('; '), { errors });
  }
  return register(tx, { caller: options.caller, body: body.data });
}

export const identityModule: TenureModule = {
  name: 'identity',
  routes: identityRoutes,
  accessTokenVerifier,
  jobs: [
    {
      name: 'identity.signing-keys.rotate.v1',
      schedule: '23 4 * * 1',
      async handle(_payload, { db, logger, config }) {
        const rotation = await rotateSigningKeys(db, signingKeySecrets(config));
        logger.info(rotation, 'access-token signing key rotated');
      },
    },
    {
      name: 'identity.cleanup.v1',
      schedule: '53 3 * * *',
      async handle(_payload, { db, logger }) {
        const deleted = await cleanUpIdentity(db);
        logger.info(deleted, 'stale login failures, sessions and signing keys deleted');
      },
    },
  ],
};
