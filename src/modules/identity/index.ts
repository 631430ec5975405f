import type { TenureModule } from '../../platform/module.ts';
import { identityRoutes } from './routes.ts';
import { accessTokenVerifier, rotateSigningKeys } from './tokens.ts';

/**
 * Identity: accounts, sign-in, sessions and the access tokens that prove who calls.
 *
 * Other modules and the app may use what this file exports: the access-token verifier the app
 * installs as the platform's authentication, and the claim names. Organizations, memberships and
 * roles will set the `org` and `role` claims (null until then) when a token is signed.
 */
export { accessTokenLifetimeSeconds, tokenAudience, tokenIssuer } from './tokens.ts';

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
