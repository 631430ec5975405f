import type { SigningKeySecret } from '../../platform/config.ts';
import type { Database, Queryable, Tx } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { Memberships } from '../../platform/module.ts';
import { commitThenThrow, takeTurnOnAttempts, throttledAttempt } from './attempts.ts';
import { asUser, type Caller, recordIdentityAudit } from './audit.ts';
import { authErrors, sessionErrors } from './errors.ts';
import { verifyNobodysPassword, verifyPassword } from './passwords.ts';
import type { ActiveSessionListReply, LoginBody, SessionReply } from './schemas.ts';
import {
  activeSessionsOf,
  clearAccountFailures,
  endSessions,
  insertLoginFailure,
  insertRefreshToken,
  insertSession,
  lockSession,
  markRefreshTokenUsed,
  refreshTokenByHash,
  type SessionEndReason,
  toUserReply,
  touchSession,
  userByEmail,
  userById,
  type UserRow,
} from './store.ts';
import { hashRefreshToken, newRefreshToken, refreshTokenLifetimeSeconds, signAccessToken } from './tokens.ts';

/** The organization a session acts in, from the module that keeps memberships (none without one). */
export type ActingOrganization = Memberships['actingOrganization'] | undefined;

/** What signing a session's access tokens takes: the secrets of the signing keys, and the acting organization. */
export interface TokenSigning {
  secrets: readonly SigningKeySecret[];
  actingOrganization?: ActingOrganization;
}

/** Issues the first refresh token of a family, or its successor, and an access token. */
async function issueTokens(
  tx: Tx,
  user: UserRow,
  sessionId: string,
  signing: TokenSigning,
  refreshTokenId = uuidv7(),
): Promise<SessionReply> {
  const refresh = newRefreshToken();
  const expiresAt = new Date(Date.now() + refreshTokenLifetimeSeconds * 1000);
  await insertRefreshToken(tx, { id: refreshTokenId, sessionId, tokenHash: refresh.hash, expiresAt });
  // The token acts in the session's organization, with the role held there, or in none.
  const acting = (await signing.actingOrganization?.(tx, { userId: user.id, sessionId })) ?? null;
  const principal = { userId: user.id, sessionId, orgId: acting?.orgId ?? null, role: acting?.role ?? null };
  const access = await signAccessToken(tx, principal, { secrets: signing.secrets });
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
  options: { caller: Caller; body: LoginBody; ip: string; userAgent: string | null; signing: TokenSigning },
) {
  const { caller, body, ip } = options;
  return commitThenThrow<SessionReply>(db, async (tx) => {
    await takeTurnOnAttempts(tx, body.email);
    const throttled = await throttledAttempt(tx, { email: body.email, ip });
    if (throttled) return { ok: false, error: throttled };
    const user = await userByEmail(tx, body.email);
    const valid = user ? await verifyPassword(user.passwordHash, body.password) : await verifyNobodysPassword(body.password);
    if (!user || !valid) {
      await insertLoginFailure(tx, { email: body.email, ip });
      return { ok: false, error: authErrors.raise('invalid_credentials') };
    }
    await clearAccountFailures(tx, body.email);
    const sessionId = uuidv7();
    await insertSession(tx, { id: sessionId, userId: user.id, ip, userAgent: options.userAgent?.slice(0, 1000) ?? null });
    const reply = await issueTokens(tx, user, sessionId, options.signing);
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
export function refresh(db: Database, options: { caller: Caller; refreshToken: string; signing: TokenSigning }) {
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
    const reply = await issueTokens(tx, user, session.id, options.signing, successorId);
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

/** The caller's sessions that are still active, the calling one marked `current`. */
export async function listSessions(db: Queryable, options: { userId: string; currentSessionId: string }): Promise<ActiveSessionListReply> {
  const rows = await activeSessionsOf(db, options.userId, options.currentSessionId);
  return {
    data: rows.map((row) => ({
      id: row.id,
      createdAt: row.createdAt.toISOString(),
      lastUsedAt: (row.lastRefreshedAt ?? row.createdAt).toISOString(),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      ip: row.ip,
      userAgent: row.userAgent,
      current: row.id === options.currentSessionId,
    })),
  };
}

/**
 * Ends one of the caller's sessions (another device's, or this one) with its refresh-token family.
 * Someone else's session, an ended one and an unknown id are all simply not found.
 */
export async function revokeSession(tx: Tx, options: { caller: Caller; userId: string; sessionId: string }): Promise<void> {
  const { caller, userId, sessionId } = options;
  const before = await lockSession(tx, sessionId);
  if (!before || before.userId !== userId || before.endedAt !== null) {
    throw sessionErrors.raise('not_found', 'You have no active session with this id');
  }
  await endSessions(tx, userId, 'logout', { only: sessionId });
  const after = (await lockSession(tx, sessionId))!;
  await publishEnded(tx, caller, userId, [sessionId], 'logout');
  await recordIdentityAudit(tx, caller, {
    action: 'LOGOUT',
    entityType: 'session',
    entityId: sessionId,
    before: endState(before),
    after: endState(after),
  });
}

function endState(session: { endedAt: Date | null; endReason: string | null }) {
  return { endedAt: session.endedAt?.toISOString() ?? null, endReason: session.endReason };
}
