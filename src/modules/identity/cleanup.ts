import type { Database, Tx } from '../../platform/db/database.ts';
import { longestThrottleWindowSeconds } from './attempts.ts';

/** Ended and expired sessions stay this long, for the record, before they are deleted. */
export const endedSessionRetentionDays = 30;
/** Retired keys verify nothing; a day's grace leaves room for clocks that disagree. */
export const retiredKeyRetentionDays = 1;

export interface IdentityCleanup {
  loginFailures: number;
  sessions: number;
  refreshTokens: number;
  signingKeys: number;
}

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The daily clean-up: login failures too old to count towards any throttle, sessions that ended
 * or expired (their newest refresh token did) more than 30 days ago with their refresh tokens,
 * and signing keys retired more than a day ago.
 */
export async function cleanUpIdentity(db: Database, now: Date = new Date()): Promise<IdentityCleanup> {
  return db.transaction().execute(async (tx) => {
    const loginFailures = await tx
      .deleteFrom('authLoginFailure')
      .where('failedAt', '<', new Date(now.getTime() - longestThrottleWindowSeconds * 1000))
      .executeTakeFirst();
    const cutoff = new Date(now.getTime() - endedSessionRetentionDays * dayMs);
    // Tokens first, to count them; the sessions stay stale once their tokens are gone.
    const refreshTokens = await tx.deleteFrom('authRefreshToken').where('sessionId', 'in', staleSessions(tx, cutoff)).executeTakeFirst();
    const sessions = await tx.deleteFrom('authSession').where('id', 'in', staleSessions(tx, cutoff)).executeTakeFirst();
    const signingKeys = await tx
      .deleteFrom('authSigningKey')
      .where('retiresAt', '<', new Date(now.getTime() - retiredKeyRetentionDays * dayMs))
      .executeTakeFirst();
    return {
      loginFailures: Number(loginFailures.numDeletedRows),
      sessions: Number(sessions.numDeletedRows),
      refreshTokens: Number(refreshTokens.numDeletedRows),
      signingKeys: Number(signingKeys.numDeletedRows),
    };
  });
}

/** Sessions ended before the cutoff, or with no refresh token valid since then. */
function staleSessions(tx: Tx, cutoff: Date) {
  return tx
    .selectFrom('authSession as s')
    .select('s.id')
    .where((eb) =>
      eb.or([
        eb('s.endedAt', '<', cutoff),
        eb.not(eb.exists(eb.selectFrom('authRefreshToken as t').whereRef('t.sessionId', '=', 's.id').where('t.expiresAt', '>=', cutoff))),
      ]),
    );
}
