import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { isBefore, parseDate } from '../../platform/dates.ts';
import { uuidv7 } from '../../platform/ids.ts';

/**
 * Who occupies which unit on which nights: holds, bookings, lease occupancy and blocks, all rows of
 * the `occupancy` table, whose exclusion constraint `occupancy_no_overlap` keeps two active
 * (unreleased) rows of one unit from overlapping. The database decides every conflict: no read made
 * before a write is trusted to say the nights are free. Writers of one unit's active rows take turns
 * (a transaction-scoped advisory lock), which keeps concurrent inserts from deadlocking.
 *
 * A hold counts until its `expiresAt`. An expired hold is still an active row until it is released,
 * by the clean-up job (`releaseExpiredHolds`) or by whichever occupation needs its nights first
 * (`occupy`, `changeOccupancy`), so an expired hold never blocks anyone, even before the job ran.
 * Expiry is always judged as `expiresAt <= now`.
 */

export type OccupancyKind = 'hold' | 'booking' | 'lease' | 'block';
export type BlockReason = 'owner_use' | 'out_of_order' | 'out_of_service' | 'maintenance';

/** The nights [from, to): `YYYY-MM-DD`, `to` being the first night not included (the check-out). */
export interface Nights {
  from: string;
  to: string;
}

export interface OccupancyRow {
  id: string;
  unitId: string;
  nights: Nights;
  kind: OccupancyKind;
  bookingId: string | null;
  blockReason: string | null;
  note: string | null;
  expiresAt: Date | null;
}

/** The nights overlap an active row of the unit (of every unit tried, for `occupyFirstFree`). */
export class OccupancyConflict extends Error {
  override readonly name = 'OccupancyConflict';

  constructor(message = 'The nights are taken', options?: ErrorOptions) {
    super(message, options);
  }
}

export interface OccupancyInput {
  unitId: string;
  nights: Nights;
  kind: OccupancyKind;
  bookingId?: string;
  blockReason?: string;
  note?: string;
  expiresAt?: Date;
  createdBy?: string | null;
}

/** The stored row with its nights as dates, and whether and when it was released. */
interface StoredRow extends OccupancyRow {
  releasedAt: Date | null;
}

const columns = sql`id, unit_id, lower(nights) AS nights_from, upper(nights) AS nights_to, kind, booking_id, block_reason, note, expires_at, released_at`;

interface RawRow {
  id: string;
  unitId: string;
  nightsFrom: string;
  nightsTo: string;
  kind: OccupancyKind;
  bookingId: string | null;
  blockReason: string | null;
  note: string | null;
  expiresAt: Date | null;
  releasedAt: Date | null;
}

function fromRaw(raw: RawRow): StoredRow {
  const { nightsFrom, nightsTo, ...rest } = raw;
  return { ...rest, nights: { from: nightsFrom, to: nightsTo } };
}

function publicRow(row: StoredRow): OccupancyRow {
  const { releasedAt: _releasedAt, ...rest } = row;
  return rest;
}

function range(nights: Nights) {
  return sql`daterange(${nights.from}::date, ${nights.to}::date, '[)')`;
}

/** Refuses malformed or empty nights before PostgreSQL would, with a message that says which. */
export function checkNights(nights: Nights): void {
  const from = parseDate(nights.from);
  const to = parseDate(nights.to);
  if (!isBefore(from, to)) throw new RangeError(`The nights end after they start: ${nights.from} to ${nights.to}`);
}

function checkInput(row: OccupancyInput): void {
  checkNights(row.nights);
  if ((row.kind === 'block') !== (row.bookingId === undefined))
    throw new TypeError('A block has no booking; every other occupation has one');
  if ((row.kind === 'block') !== (row.blockReason !== undefined)) throw new TypeError('A block, and only a block, has a reason');
  if ((row.kind === 'hold') !== (row.expiresAt !== undefined)) throw new TypeError('A hold, and only a hold, expires');
}

function isOverlap(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23P01' && constraint === 'occupancy_no_overlap';
}

/**
 * Serializes the writers of one unit's active rows until their transactions end. Without it, two
 * transactions inserting overlapping rows at the same moment each wait for the other's row in the
 * exclusion check; PostgreSQL fails one as a deadlock, and a retry inserts its row again before
 * checking, so the other, rechecking, waits for it once more. Taken behind the savepoint, the lock
 * is released when a conflict rolls back to it. Releases need none: a released row is outside the
 * constraint.
 */
async function lockUnit(tx: Tx, unitId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`bookings.occupancy:${unitId}`}, 0))`.execute(tx);
}

/** A transaction writing rows of two units, in the other order than another's, can still deadlock: it tries again. */
function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown }).code === '40P01';
}

const deadlockRetries = 3;

/**
 * Runs `work` behind a savepoint: an overlap rolls back to it (undoing whatever `work` did, the
 * release of expired holds included) and becomes an `OccupancyConflict`, and the transaction stays
 * usable. A deadlock victim rolls back to it, which frees the other transaction, and tries again.
 * Any other error also rolls back to the savepoint before it goes on.
 */
async function behindSavepoint<T>(tx: Tx, conflict: string, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    await sql`SAVEPOINT tenure_occupancy`.execute(tx);
    let result: T;
    try {
      result = await work();
    } catch (error) {
      await sql`ROLLBACK TO SAVEPOINT tenure_occupancy`.execute(tx);
      await sql`RELEASE SAVEPOINT tenure_occupancy`.execute(tx);
      if (isOverlap(error)) throw new OccupancyConflict(conflict, { cause: error });
      if (isDeadlock(error) && attempt < deadlockRetries) continue;
      throw error;
    }
    await sql`RELEASE SAVEPOINT tenure_occupancy`.execute(tx);
    return result;
  }
}

/** Releases the unit's holds expired at `now` that overlap the nights (never `except`); their booking ids. */
async function releaseExpiredOverlapping(tx: Tx, unitId: string, nights: Nights, now: Date, except?: string): Promise<string[]> {
  const { rows } = await sql<{ bookingId: string }>`
    UPDATE occupancy SET released_at = now()
    WHERE unit_id = ${unitId} AND released_at IS NULL AND kind = 'hold' AND expires_at <= ${now}
      AND nights && ${range(nights)} ${except === undefined ? sql`` : sql`AND id <> ${except}`}
    RETURNING booking_id
  `.execute(tx);
  return rows.map((row) => row.bookingId);
}

async function insertRow(tx: Tx, id: string, row: OccupancyInput): Promise<void> {
  await sql`
    INSERT INTO occupancy (id, org_id, unit_id, nights, kind, booking_id, block_reason, note, expires_at, created_by)
    VALUES (${id}, tenure_current_org(), ${row.unitId}, ${range(row.nights)}, ${row.kind}, ${row.bookingId ?? null},
            ${row.blockReason ?? null}, ${row.note ?? null}, ${row.expiresAt ?? null}, ${row.createdBy ?? null})
  `.execute(tx);
}

/**
 * Releases expired holds that overlap, then inserts an active row inside a savepoint (so a conflict
 * leaves the transaction usable, and releases nothing). Returns the booking ids whose expired holds
 * it released — the caller cancels those bookings as `timeout`.
 */
export async function occupy(tx: Tx, row: OccupancyInput, now: Date = new Date()): Promise<{ id: string; expiredBookingIds: string[] }> {
  checkInput(row);
  const id = uuidv7();
  const expiredBookingIds = await behindSavepoint(
    tx,
    `Unit ${row.unitId} is taken on some of ${row.nights.from} to ${row.nights.to}`,
    async () => {
      await lockUnit(tx, row.unitId);
      const released = await releaseExpiredOverlapping(tx, row.unitId, row.nights, now);
      await insertRow(tx, id, row);
      return released;
    },
  );
  return { id, expiredBookingIds };
}

/** Tries the units in order; OccupancyConflict when none is free. */
export async function occupyFirstFree(
  tx: Tx,
  unitIds: string[],
  row: Omit<OccupancyInput, 'unitId'>,
  now: Date = new Date(),
): Promise<{ id: string; unitId: string; expiredBookingIds: string[] }> {
  checkNights(row.nights);
  if (unitIds.length === 0) throw new OccupancyConflict('No unit to occupy');
  // Units visibly taken (by a committed row that still counts) would only be refused: skip them
  // rather than wait, one after another, on the exclusion constraint. A unit that is free now can
  // still be taken by the time we insert, which the constraint then decides.
  const { rows } = await sql<{ unitId: string }>`
    SELECT DISTINCT unit_id FROM occupancy
    WHERE unit_id = ANY(${unitIds}::uuid[]) AND released_at IS NULL AND nights && ${range(row.nights)}
      AND NOT (kind = 'hold' AND expires_at <= ${now})
  `.execute(tx);
  const taken = new Set(rows.map((taker) => taker.unitId));
  for (const unitId of unitIds.filter((candidate) => !taken.has(candidate))) {
    try {
      const occupied = await occupy(tx, { ...row, unitId }, now);
      return { ...occupied, unitId };
    } catch (error) {
      if (!(error instanceof OccupancyConflict)) throw error;
    }
  }
  throw new OccupancyConflict(`No unit is free from ${row.nights.from} to ${row.nights.to}`);
}

async function activeRowOfBooking(db: Queryable, bookingId: string, forUpdate: boolean): Promise<StoredRow | undefined> {
  const { rows } = await sql<RawRow>`
    SELECT ${columns} FROM occupancy WHERE booking_id = ${bookingId} AND released_at IS NULL
    ${forUpdate ? sql`FOR UPDATE` : sql``}
  `.execute(db);
  return rows[0] && fromRaw(rows[0]);
}

/** The booking's active row (an expired hold not yet released included), if any. */
export async function occupancyOfBooking(db: Queryable, bookingId: string): Promise<OccupancyRow | undefined> {
  const row = await activeRowOfBooking(db, bookingId, false);
  return row && publicRow(row);
}

/**
 * Makes the booking's hold a booking or lease occupation that no longer expires. A hold that
 * expired but was not released is still converted: nobody has taken its nights. OccupancyConflict
 * when the booking occupies nothing any more (its hold was released).
 */
export async function convertHold(tx: Tx, bookingId: string, kind: 'booking' | 'lease'): Promise<void> {
  // The row's new version is checked against the constraint again: the unit's writers go one at a time.
  const current = await activeRowOfBooking(tx, bookingId, false);
  if (current) await lockUnit(tx, current.unitId);
  const { numAffectedRows } = await sql`
    UPDATE occupancy SET kind = ${kind}, expires_at = NULL WHERE booking_id = ${bookingId} AND released_at IS NULL
  `.execute(tx);
  if (!numAffectedRows) throw new OccupancyConflict(`Booking ${bookingId} holds no nights any more`);
}

/** Moves the expiry of the booking's hold; OccupancyConflict when it holds nothing any more. */
export async function extendHold(tx: Tx, bookingId: string, expiresAt: Date): Promise<void> {
  const current = await activeRowOfBooking(tx, bookingId, false);
  if (current) await lockUnit(tx, current.unitId);
  const { numAffectedRows } = await sql`
    UPDATE occupancy SET expires_at = ${expiresAt} WHERE booking_id = ${bookingId} AND released_at IS NULL AND kind = 'hold'
  `.execute(tx);
  if (!numAffectedRows) throw new OccupancyConflict(`Booking ${bookingId} holds no nights any more`);
}

/**
 * Moves a booking's active row to other nights and/or another unit, atomically: the row is
 * released and a new one takes its place (so the old nights stay on record), behind a savepoint,
 * and OccupancyConflict leaves the old row as it was. The booking's own row never conflicts with
 * the new nights. Expired holds of others in the way are released, as `occupy` does.
 */
export async function changeOccupancy(
  tx: Tx,
  bookingId: string,
  change: { nights?: Nights; unitId?: string },
  now: Date = new Date(),
): Promise<{ expiredBookingIds: string[] }> {
  const seen = await activeRowOfBooking(tx, bookingId, false);
  if (!seen) throw new OccupancyConflict(`Booking ${bookingId} occupies no unit`);
  const next = { unitId: change.unitId ?? seen.unitId, nights: change.nights ?? seen.nights };
  checkNights(next.nights);
  const expiredBookingIds = await behindSavepoint(
    tx,
    `Unit ${next.unitId} is taken on some of ${next.nights.from} to ${next.nights.to}`,
    async () => {
      // The unit's lock first, then the row: the order every writer takes them in.
      await lockUnit(tx, next.unitId);
      const current = await activeRowOfBooking(tx, bookingId, true);
      if (current?.id !== seen.id) throw new OccupancyConflict(`Booking ${bookingId} was moved meanwhile`);
      const released = await releaseExpiredOverlapping(tx, next.unitId, next.nights, now, current.id);
      await sql`UPDATE occupancy SET released_at = now() WHERE id = ${current.id}`.execute(tx);
      await sql`
      INSERT INTO occupancy (id, org_id, unit_id, nights, kind, booking_id, block_reason, note, expires_at, created_by)
      SELECT ${uuidv7()}, org_id, ${next.unitId}, ${range(next.nights)}, kind, booking_id, block_reason, note, expires_at, created_by
      FROM occupancy WHERE id = ${current.id}
    `.execute(tx);
      return released;
    },
  );
  return { expiredBookingIds };
}

/** Releases the booking's active row, if it has one (cancelled, declined, checked out early…). */
export async function releaseBookingOccupancy(tx: Tx, bookingId: string): Promise<void> {
  await sql`UPDATE occupancy SET released_at = now() WHERE booking_id = ${bookingId} AND released_at IS NULL`.execute(tx);
}

/** Releases one active row by its id (a block); whether there was one to release. */
export async function releaseOccupancy(tx: Tx, id: string): Promise<boolean> {
  const { numAffectedRows } = await sql`UPDATE occupancy SET released_at = now() WHERE id = ${id} AND released_at IS NULL`.execute(tx);
  return Boolean(numAffectedRows);
}

/** Releases every hold expired at `now`; returns their booking ids. */
export async function releaseExpiredHolds(tx: Tx, now: Date): Promise<string[]> {
  const { rows } = await sql<{ bookingId: string }>`
    UPDATE occupancy SET released_at = now()
    WHERE released_at IS NULL AND kind = 'hold' AND expires_at <= ${now}
    RETURNING booking_id
  `.execute(tx);
  return rows.map((row) => row.bookingId);
}

/**
 * The unreleased rows of the units that overlap [from, to), by unit and first night. Expired holds
 * not yet released are among them (with their `expiresAt`): they block nobody.
 */
export async function activeOccupancy(db: Queryable, query: { unitIds: string[]; from: string; to: string }): Promise<OccupancyRow[]> {
  if (query.unitIds.length === 0) return [];
  const { rows } = await sql<RawRow>`
    SELECT ${columns} FROM occupancy
    WHERE unit_id = ANY(${query.unitIds}::uuid[]) AND released_at IS NULL AND nights && ${range(query)}
    ORDER BY unit_id, lower(nights)
  `.execute(db);
  return rows.map((raw) => publicRow(fromRaw(raw)));
}

export interface BlockRow extends OccupancyRow {
  kind: 'block';
  blockReason: BlockReason;
  createdBy: string | null;
  createdAt: Date;
  releasedAt: Date | null;
}

const blockColumns = sql`${columns}, created_by, created_at`;

/** A block by its id, released or not; undefined for any other row. */
export async function blockById(db: Queryable, id: string): Promise<BlockRow | undefined> {
  const { rows } = await sql<RawRow & { createdBy: string | null; createdAt: Date }>`
    SELECT ${blockColumns} FROM occupancy WHERE id = ${id} AND kind = 'block'
  `.execute(db);
  return rows[0] && (fromRaw(rows[0]) as BlockRow);
}

/** The unit's blocks, by first night: only the active ones unless asked, and only those overlapping [from, to) when given. */
export async function blocksOfUnit(
  db: Queryable,
  query: { unitId: string; from?: string; to?: string; includeReleased?: boolean; limit: number; offset: number },
): Promise<{ data: BlockRow[]; total: number }> {
  const where = sql`unit_id = ${query.unitId} AND kind = 'block'
    ${query.includeReleased ? sql`` : sql`AND released_at IS NULL`}
    ${query.from === undefined ? sql`` : sql`AND upper(nights) > ${query.from}::date`}
    ${query.to === undefined ? sql`` : sql`AND lower(nights) < ${query.to}::date`}`;
  const { rows } = await sql<RawRow & { createdBy: string | null; createdAt: Date }>`
    SELECT ${blockColumns} FROM occupancy WHERE ${where} ORDER BY lower(nights), id LIMIT ${query.limit} OFFSET ${query.offset}
  `.execute(db);
  const counted = await sql<{ total: number }>`SELECT count(*)::int AS total FROM occupancy WHERE ${where}`.execute(db);
  return { data: rows.map((raw) => fromRaw(raw) as BlockRow), total: counted.rows[0]?.total ?? 0 };
}
