import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { UserReply } from './schemas.ts';

/** The identity module's SQL: its own tables only, each query named after what it returns. */

export interface UserRow {
  id: string;
  email: string;
  displayName: string | null;
  passwordHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export const userColumns = ['id', 'email', 'displayName', 'passwordHash', 'createdAt', 'updatedAt'] as const;

export function toUserReply(user: UserRow): UserReply {
  return {
    id: user.id,
    email: user.email,
    displayName: user.displayName,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export async function insertUser(tx: Tx, user: { id: string; email: string; displayName: string | null; passwordHash: string }) {
  return tx.insertInto('userAccount').values(user).returning(userColumns).executeTakeFirstOrThrow();
}

export function userByEmail(db: Queryable, email: string): Promise<UserRow | undefined> {
  return db
    .selectFrom('userAccount')
    .select(userColumns)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();
}

export function userById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<UserRow | undefined> {
  const query = db.selectFrom('userAccount').select(userColumns).where('id', '=', id);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function updateUser(tx: Tx, id: string, changes: { displayName?: string | null; passwordHash?: string }) {
  return tx
    .updateTable('userAccount')
    .set({
      ...changes,
      updatedAt: sql<Date>`now()`,
      ...(changes.passwordHash === undefined ? {} : { passwordChangedAt: sql<Date>`now()` }),
    })
    .where('id', '=', id)
    .returning(userColumns)
    .executeTakeFirstOrThrow();
}

// --- sessions and refresh tokens -----------------------------------------------------------------

export type SessionEndReason = 'logout' | 'logout_all' | 'password_changed' | 'refresh_token_reused';

export async function insertSession(tx: Tx, session: { id: string; userId: string; ip: string | null; userAgent: string | null }) {
  await tx.insertInto('authSession').values(session).execute();
}

/** The user of an active session: the one read every authenticated request makes (a primary-key lookup). */
export async function activeSessionUser(db: Queryable, sessionId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('authSession')
    .select('userId')
    .where('id', '=', sessionId)
    .where('endedAt', 'is', null)
    .executeTakeFirst();
  return row?.userId;
}

export function lockSession(tx: Tx, sessionId: string) {
  return tx
    .selectFrom('authSession')
    .select(['id', 'userId', 'endedAt', 'endReason'])
    .where('id', '=', sessionId)
    .forUpdate()
    .executeTakeFirst();
}

export interface ActiveSessionRow {
  id: string;
  createdAt: Date;
  lastRefreshedAt: Date | null;
  expiresAt: Date | null;
  ip: string | null;
  userAgent: string | null;
}

/**
 * A user's sessions that have not ended and can still refresh (the family's newest refresh token
 * has not expired), the given one always included, most recently refreshed first.
 */
export function activeSessionsOf(db: Queryable, userId: string, includeSessionId: string): Promise<ActiveSessionRow[]> {
  return db
    .selectFrom('authSession as s')
    .select(['s.id', 's.createdAt', 's.lastRefreshedAt', 's.ip', 's.userAgent'])
    .select((eb) =>
      eb
        .selectFrom('authRefreshToken as t')
        .whereRef('t.sessionId', '=', 's.id')
        .select((tokens) => tokens.fn.max('t.expiresAt').as('latest'))
        .as('expiresAt'),
    )
    .where('s.userId', '=', userId)
    .where('s.endedAt', 'is', null)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('authRefreshToken as t')
            .whereRef('t.sessionId', '=', 's.id')
            .where('t.expiresAt', '>', sql<Date>`now()`),
        ),
        eb('s.id', '=', includeSessionId),
      ]),
    )
    .orderBy(sql`coalesce(s.last_refreshed_at, s.created_at)`, 'desc')
    .orderBy('s.id', 'desc')
    .execute();
}

export function touchSession(tx: Tx, sessionId: string) {
  return tx
    .updateTable('authSession')
    .set({ lastRefreshedAt: sql<Date>`now()` })
    .where('id', '=', sessionId)
    .execute();
}

/**
 * Ends the given sessions of a user that are still active and revokes every refresh token of
 * their families; returns the ids of the sessions it ended.
 */
export async function endSessions(
  tx: Tx,
  userId: string,
  reason: SessionEndReason,
  which: { only?: string; except?: string } = {},
): Promise<string[]> {
  let query = tx
    .updateTable('authSession')
    .set({ endedAt: sql<Date>`now()`, endReason: reason })
    .where('userId', '=', userId)
    .where('endedAt', 'is', null);
  if (which.only !== undefined) query = query.where('id', '=', which.only);
  if (which.except !== undefined) query = query.where('id', '<>', which.except);
  const ended = (await query.returning('id').execute()).map((row) => row.id);
  if (ended.length > 0) {
    await tx
      .updateTable('authRefreshToken')
      .set({ revokedAt: sql<Date>`now()` })
      .where('sessionId', 'in', ended)
      .where('revokedAt', 'is', null)
      .execute();
  }
  return ended;
}

export async function insertRefreshToken(tx: Tx, token: { id: string; sessionId: string; tokenHash: string; expiresAt: Date }) {
  await tx.insertInto('authRefreshToken').values(token).execute();
}

export function refreshTokenByHash(db: Queryable, tokenHash: string) {
  return db
    .selectFrom('authRefreshToken')
    .select(['id', 'sessionId', 'expiresAt', 'usedAt', 'revokedAt'])
    .where('tokenHash', '=', tokenHash)
    .executeTakeFirst();
}

export async function markRefreshTokenUsed(tx: Tx, id: string, successorId: string) {
  await tx
    .updateTable('authRefreshToken')
    .set({ usedAt: sql<Date>`now()`, replacedBy: successorId })
    .where('id', '=', id)
    .execute();
}

// --- login throttling ----------------------------------------------------------------------------

/**
 * Seconds until fewer than `limit` failures remain within the window, or undefined while the
 * caller is under the limit. The limit-th most recent failure is the one that must age out.
 */
export async function throttledFor(
  db: Queryable,
  by: { email: string } | { ip: string },
  limit: number,
  windowSeconds: number,
): Promise<number | undefined> {
  const filter = 'email' in by ? sql`email = ${by.email} AND counts_for_account` : sql`ip = ${by.ip}`;
  const { rows } = await sql<{ retryAfter: number }>`
    SELECT greatest(1, ceil(extract(epoch FROM failed_at + make_interval(secs => ${windowSeconds}) - now())))::int AS retry_after
    FROM auth_login_failure
    WHERE ${filter} AND failed_at > now() - make_interval(secs => ${windowSeconds})
    ORDER BY failed_at DESC
    OFFSET ${limit - 1} LIMIT 1
  `.execute(db);
  return rows[0]?.retryAfter;
}

export async function insertLoginFailure(tx: Tx, failure: { email: string; ip: string }) {
  await tx.insertInto('authLoginFailure').values(failure).execute();
}

/** A successful sign-in resets the account's count; the address keeps its failures. */
export async function clearAccountFailures(tx: Tx, email: string) {
  await tx
    .updateTable('authLoginFailure')
    .set({ countsForAccount: false })
    .where('email', '=', email)
    .where('countsForAccount', '=', true)
    .execute();
}
