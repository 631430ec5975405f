import { sql } from 'kysely';
import type { Database, Tx } from '../../platform/db/database.ts';
import { authErrors } from './errors.ts';
import { throttledFor } from './store.ts';

/**
 * Password attempts: a wrong password at sign-in, or a wrong current password when changing it,
 * is recorded as a failure of the account and of the address; too many within the window and
 * further attempts are refused before the password is looked at.
 */
export const loginThrottle = { perAccount: 5, perIp: 20, windowSeconds: 15 * 60 } as const;

/** Failures older than this count for nothing any more. */
export const longestThrottleWindowSeconds = loginThrottle.windowSeconds;

/** Attempts on one e-mail take turns, so parallel guesses cannot slip past the limit together. */
export async function takeTurnOnAttempts(tx: Tx, email: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`identity.login:${email}`}, 0))`.execute(tx);
}

/** The refusal to answer while the account (or, when given, the address) is over its limit. */
export async function throttledAttempt(tx: Tx, by: { email: string; ip?: string }) {
  const { perAccount, perIp, windowSeconds } = loginThrottle;
  const retryAfter = Math.max(
    (await throttledFor(tx, { email: by.email }, perAccount, windowSeconds)) ?? 0,
    by.ip === undefined ? 0 : ((await throttledFor(tx, { ip: by.ip }, perIp, windowSeconds)) ?? 0),
  );
  if (retryAfter === 0) return undefined;
  return authErrors.raise('too_many_attempts', `Too many wrong passwords; retry in ${retryAfter} seconds`, {
    headers: { 'retry-after': String(retryAfter) },
  });
}

/** A refusal decided inside a transaction that must commit anyway (a recorded failure, a revoked family). */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

/**
 * Runs the use case in a transaction of its own and commits it even when it ends in a refusal,
 * which is thrown only after the commit. The request's transaction would roll back on an error reply.
 */
export async function commitThenThrow<T>(db: Database, work: (tx: Tx) => Promise<Outcome<T>>): Promise<T> {
  const outcome = await db.transaction().execute(work);
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}
