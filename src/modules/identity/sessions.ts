import { sql } from 'kysely';
import type { Database, Tx } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Memberships } from '../../platform/module.ts';
import { asUser, type Caller, recordIdentityAudit } from './audit.ts';
import { authErrors } from './errors.ts';
import { verifyNobodysPassword, verifyPassword } from './passwords.ts';
import type { LoginBody, SessionReply } from './schemas.ts';
import {
  clearAccountFailures,
  endSessions,
  insertLoginFailure,
  insertRefreshToken,
  insertSession,
  lockSession,
  markRefreshTokenUsed,
  refreshTokenByHash,
  type SessionEndReason,
  throttledFor,
  toUserReply,
  touchSession,
  userByEmail,
  userById,
  type UserRow,
} from './store.ts';
import { hashRefreshToken, newRefreshToken, refreshTokenLifetimeSeconds, signAccessToken } from './tokens.ts';

/** Failed sign-ins allowed per account, and per address, within the window. */
export const loginThrottle = { perAccount: 5, perIp: 20, windowSeconds: 15 * 60 } as const;

/** A refusal decided inside a transaction that must commit anyway (a recorded failure, a revoked family). */
type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

async function commitThenThrow<T>(db: Database, work: (tx: Tx) => Promise<Outcome<T>>): Promise<T> {
  const outcome = await db.transaction().execute(work);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

/** The organization a session acts in, from the module that keeps memberships (none without one). */
export type ActingOrganization = Memberships['actingOrganization'] | undefined;

/** Issues the first refresh token of a family, or its successor, and an access token. */
async function issueTokens(
  tx: Tx,
  user: UserRow,
  sessionId: string,
  actingOrganization: ActingOrganization,
  refreshTokenId = uuidv7(),
): Promise<SessionReply> {
  const refresh = newRefreshToken();
  const expiresAt = new Date(Date.now() + refreshTokenLifetimeSeconds * 1000);
  await insertRefreshToken(tx, { id: refreshTokenId, sessionId, tokenHash: refresh.hash, expiresAt });
  // The token acts in the session's organization, with the role held there, or in none.
  const acting = (await actingOrganization?.(tx, { userId: user.id, sessionId })) ?? null;
  const access = await signAccessToken(tx, { userId: user.id, sessionId, orgId: acting?.orgId ?? null, role: acting?.role ?? null });
  return {
    ...access,
    tokenType: 'Bearer',
    refreshToken: refresh.token,
    refreshTokenExpiresAt: expiresAt.toISOString(),
    user: toUserReply(user),
  };
}

/**
 * Signs in with e-mail and password. Failures are recorded and committed although the reply is an
 * error, so this use case runs its own transaction rather than the request's (which rolls back on
 * any error reply). An unknown e-mail and a wrong password get the same answer in the same time.
 * Attempts on one e-mail take turns, so parallel guesses cannot slip past the limit together.
 */
export function login(
  db: Database,
  options: { caller: Caller; body: LoginBody; ip: string; userAgent: string | null; actingOrganization?: ActingOrganization },
) {
  const { caller, body, ip } = options;
  return commitThenThrow<SessionReply>(db, async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`identity.login:${body.email}`}, 0))`.execute(tx);
    const retryAfter = Math.max(
      (await throttledFor(tx, { email: body.email }, loginThrottle.perAccount, loginThrottle.windowSeconds)) ?? 0,
      (await throttledFor(tx, { ip }, loginThrottle.perIp, loginThrottle.windowSeconds)) ?? 0,
    );
    if (retryAfter > 0) {
      const error = authErrors.raise('too_many_attempts', `Too many failed sign-in attempts; retry in ${retryAfter} seconds`, {
        headers: { 'retry-after': String(retryAfter) },
      });
      return { ok: false, error };
    }
    const user = await userByEmail(tx, body.email);
    const valid = user ? await verifyPassword(user.passwordHash, body.password) : await verifyNobodysPassword(body.password);
    if (!user || !valid) {
      await insertLoginFailure(tx, { email: body.email, ip });
      return { ok: false, error: authErrors.raise('invalid_credentials') };
    }
    await clearAccountFailures(tx, body.email);
    const sessionId = uuidv7();
    await insertSession(tx, { id: sessionId, userId: user.id, ip, userAgent: options.userAgent?.slice(0, 1000) ?? null });
    const reply = await issueTokens(tx, user, sessionId, options.actingOrganization);
    const signedIn = asUser(caller, user.id);
    await publish(tx, signedIn.context, {
      type: 'session.started',
      aggregate: { type: 'session', id: sessionId },
      source: 'identity',
      data: { sessionId, userId: user.id },
    });
    await recordIdentityAudit(tx, signedIn, { action: 'LOGIN', entityType: 'session', entityId: sessionId, after: { userId: user.id } });
    return { ok: true, value: reply };
  });
}

/**
 * Exchanges a refresh token for a new pair. The token is used up and points at its successor.
 * A token presented again after its rotation means two parties hold it: the whole family (the
 * session of that sign-in) is ended, the incident is published, and the reply is a refusal —
 * committed together, before the refusal leaves.
 */
export function refresh(db: Database, options: { caller: Caller; refreshToken: string; actingOrganization?: ActingOrganization }) {
  const invalid = () => authErrors.raise('refresh_token_invalid', 'The refresh token is not valid; sign in again');
  return commitThenThrow<SessionReply>(db, async (tx) => {
    const found = await refreshTokenByHash(tx, hashRefreshToken(options.refreshToken));
    if (!found) return { ok: false, error: invalid() };
    // The family's operations take turns on its session row.
    const session = await lockSession(tx, found.sessionId);
    const token = await refreshTokenByHash(tx, hashRefreshToken(options.refreshToken));
    if (!session || !token) return { ok: false, error: invalid() };
    const caller = asUser(options.caller, session.userId);
    if (token.usedAt !== null) {
      if (session.endedAt === null) await revokeFamily(tx, caller, session.userId, session.id, token.id);
      return { ok: false, error: invalid() };
    }
    if (session.endedAt !== null || token.revokedAt !== null || token.expiresAt <= new Date()) return { ok: false, error: invalid() };
    const user = await userById(tx, session.userId);
    if (!user) return { ok: false, error: invalid() };
    const successorId = uuidv7();
    await markRefreshTokenUsed(tx, token.id, successorId);
    const reply = await issueTokens(tx, user, session.id, options.actingOrganization, successorId);
    await touchSession(tx, session.id);
    return { ok: true, value: reply };
  });
}

async function revokeFamily(tx: Tx, caller: Caller, userId: string, sessionId: string, reusedTokenId: string) {
  await endSessions(tx, userId, 'refresh_token_reused', { only: sessionId });
  await publish(tx, caller.context, {
    type: 'session.refresh_token_reused',
    aggregate: { type: 'session', id: sessionId },
    source: 'identity',
    data: { sessionId, userId, reusedTokenId },
  });
  await publishEnded(tx, caller, userId, [sessionId], 'refresh_token_reused');
  await recordIdentityAudit(tx, caller, {
    action: 'SESSION_REVOKE',
    entityType: 'session',
    entityId: sessionId,
    after: { reason: 'refresh_token_reused', reusedTokenId },
  });
}

async function publishEnded(tx: Tx, caller: Caller, userId: string, sessionIds: string[], reason: SessionEndReason) {
  for (const sessionId of sessionIds) {
    await publish(tx, caller.context, {
      type: 'session.ended',
      aggregate: { type: 'session', id: sessionId },
      source: 'identity',
      data: { sessionId, userId, reason },
    });
  }
}

/** Ends the caller's own session: its access tokens stop working and its refresh tokens are revoked. */
export async function logout(tx: Tx, options: { caller: Caller; userId: string; sessionId: string }): Promise<void> {
  const ended = await endSessions(tx, options.userId, 'logout', { only: options.sessionId });
  await publishEnded(tx, options.caller, options.userId, ended, 'logout');
  await recordIdentityAudit(tx, options.caller, { action: 'LOGOUT', entityType: 'session', entityId: options.sessionId });
}

/** Ends every session of the caller, the current one included. */
export async function logoutAll(tx: Tx, options: { caller: Caller; userId: string }): Promise<void> {
  const ended = await endSessions(tx, options.userId, 'logout_all');
  await publishEnded(tx, options.caller, options.userId, ended, 'logout_all');
  await recordIdentityAudit(tx, options.caller, {
    action: 'LOGOUT',
    entityType: 'user',
    entityId: options.userId,
    after: { endedSessionIds: ended },
  });
}
