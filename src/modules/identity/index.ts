import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { TenureModule } from '../../platform/module.ts';
import { identityRoutes } from './routes.ts';
import type { UserReply } from './schemas.ts';
import { toUserReply, userById } from './store.ts';
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
 * what switching the acting organization returns.
 */
export async function signSessionAccessToken(
  tx: Tx,
  principal: { userId: string; sessionId: string; orgId: string | null; role: string | null },
): Promise<{ accessToken: string; expiresIn: number }> {
  return signAccessToken(tx, principal);
}

/** A user's account as other modules may see it (never the password hash), or undefined. */
export async function findUser(db: Queryable, userId: string): Promise<UserReply | undefined> {
  const user = await userById(db, userId);
  return user ? toUserReply(user) : undefined;
}

export const identityModule: TenureModule = {
  name: 'identity',
  routes: identityRoutes,
  accessTokenVerifier,
  jobs: [
    {
      name: 'identity.signing-keys.rotate.v1',
      schedule: '23 4 * * 1',
      async handle(_payload, { db, logger }) {
        const rotation = await rotateSigningKeys(db);
        logger.info(rotation, 'access-token signing key rotated');
      },
    },
  ],
};
