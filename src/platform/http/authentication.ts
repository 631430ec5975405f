import type { FastifyInstance, FastifyRequest } from 'fastify';
import { defineErrors } from './errors.ts';
import './event-context.ts';

/** Who the caller is once a bearer access token has been verified. */
export interface Principal {
  userId: string;
  sessionId: string;
  /** The organization the token acts in, and the caller's role there; null until organizations exist. */
  orgId: string | null;
  role: string | null;
}

/** Verifies an access token and returns its principal, or throws one of `authenticationErrors`. */
export type AccessTokenVerifier = (token: string) => Promise<Principal>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified caller, or null when the request is anonymous. */
    principal: Principal | null;
  }
}

const invalidTokenChallenge = { 'www-authenticate': 'Bearer error="invalid_token"' };

export const authenticationErrors = defineErrors('auth', {
  unauthenticated: { status: 401, title: 'Sign in to do this' },
  token_invalid: { status: 401, title: 'The access token is not valid' },
  token_expired: { status: 401, title: 'The access token has expired' },
});

/** The errors a verifier throws for a token it refuses, with the RFC 6750 challenge. */
export function invalidToken(detail: string) {
  return authenticationErrors.raise('token_invalid', detail, { headers: invalidTokenChallenge });
}

export function expiredToken(detail: string) {
  return authenticationErrors.raise('token_expired', detail, { headers: invalidTokenChallenge });
}

export interface AuthenticationOptions {
  verifyAccessToken: AccessTokenVerifier;
  /** Bearer values that are other credentials (the operator token), left to their own guard. */
  ignore?: (token: string) => boolean;
  /**
   * The caller's role in the token's organization as it is now, or null when no longer a member,
   * which leaves the request acting in no organization (so row-level security shows it none). The
   * token's `role` claim is a hint; with this set, a role change or removal applies at once.
   */
  currentRole?: (principal: Principal & { orgId: string }) => Promise<string | null>;
}

/**
 * Verifies `Authorization: Bearer …` on every request before anything else reads the caller:
 * a valid token makes the request the user's; an invalid one is refused with 401 even on public
 * routes, so a client never silently continues as anonymous; no token leaves the request anonymous.
 */
export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined) return;
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match) {
      if (/^Bearer\b/i.test(header)) throw invalidToken('The Authorization header must be "Bearer <token>"');
      return;
    }
    const token = match[1]!;
    if (options.ignore?.(token)) return;
    let principal = await options.verifyAccessToken(token);
    if (options.currentRole && principal.orgId !== null) {
      const role = await options.currentRole({ ...principal, orgId: principal.orgId });
      principal = { ...principal, orgId: role === null ? null : principal.orgId, role };
    }
    request.principal = principal;
    request.actor = { type: 'user', id: principal.userId };
    request.tenantId = principal.orgId;
  });
}

/** A preHandler for routes that need a signed-in user. */
export async function requireUser(request: FastifyRequest): Promise<void> {
  if (!request.principal) {
    throw authenticationErrors.raise('unauthenticated', 'Send Authorization: Bearer <access token>', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
}

/** The signed-in principal of a route guarded by `requireUser`. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('principalOf() on a route without requireUser');
  return request.principal;
}

/** Scopes idempotency keys and rate limits: the user when signed in, the address otherwise. */
export function callerScopeOf(request: FastifyRequest): string {
  return request.principal ? `user:${request.principal.userId}` : `ip:${request.ip}`;
}
