import { type Insertable, type Selectable, sql, type Updateable } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows } from '../../platform/db/queries.ts';
import type { Booking, BookingEvent } from '../../platform/db/schema.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { BookingStatus } from './state-machine.ts';

/** The bookings module's SQL: the booking and booking_event tables (occupancy.ts has the occupancy table's). */

export type BookingRow = Omit<Selectable<Booking>, 'status' | 'rentalMode'> & {
  status: BookingStatus;
  rentalMode: 'daily' | 'monthly' | 'lease';
};
export type NewBookingRow = Insertable<Booking>;
export type BookingChange = Omit<Updateable<Booking>, 'id' | 'orgId' | 'version' | 'updatedAt' | 'createdAt'>;
export type BookingEventRow = Selectable<BookingEvent>;

/** Inserts the booking unless its reference is taken in the organization: whether it was inserted. */
export async function insertBooking(tx: Tx, row: NewBookingRow): Promise<boolean> {
  const inserted = await tx
    .insertInto('booking')
    .values(row)
    .onConflict((conflict) => conflict.columns(['orgId', 'reference']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The booking, locked against concurrent changes when `forUpdate`. */
export async function bookingById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<BookingRow | undefined> {
  let query = db.selectFrom('booking').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst()) as BookingRow | undefined;
}

/** Applies a change, bumping the version; returns the row as it now is. */
export async function updateBooking(tx: Tx, id: string, change: BookingChange): Promise<BookingRow> {
  return (await tx
    .updateTable('booking')
    .set({ ...change, version: sql<number>`version + 1`, updatedAt: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as BookingRow;
}

export async function insertBookingEvent(
  tx: Tx,
  event: {
    orgId: string;
    bookingId: string;
    type: string;
    fromStatus: BookingStatus | null;
    toStatus: BookingStatus | null;
    actorId: string | null;
    data: Record<string, unknown>;
  },
): Promise<void> {
  await tx
    .insertInto('bookingEvent')
    .values({
      id: uuidv7(),
      orgId: event.orgId,
      bookingId: event.bookingId,
      type: event.type,
      fromStatus: event.fromStatus,
      toStatus: event.toStatus,
      actorType: event.actorId === null ? 'system' : 'user',
      actorId: event.actorId,
      data: JSON.stringify(event.data),
      occurredAt: sql<Date>`clock_timestamp()`,
    })
    .execute();
}

export async function eventsOfBooking(db: Queryable, bookingId: string): Promise<BookingEventRow[]> {
  return db.selectFrom('bookingEvent').selectAll().where('bookingId', '=', bookingId).orderBy('occurredAt').orderBy('id').execute();
}

export interface BookingFilter {
  status?: BookingStatus;
  propertyId?: string;
  customerId?: string;
  /** Stays overlapping [from, to). */
  from?: string;
  to?: string;
  /** The caller's scope: only these properties' or these customers' bookings. */
  propertyIds?: string[];
  customerIds?: string[];
}

/** The bookings of the acting organization that pass the filter; null when the caller's scope reaches none. */
function filteredBookings(db: Queryable, filter: BookingFilter) {
  if (filter.propertyIds?.length === 0 || filter.customerIds?.length === 0) return null;
  let query = db.selectFrom('booking');
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.propertyId !== undefined) query = query.where('propertyId', '=', filter.propertyId);
  if (filter.customerId !== undefined) query = query.where('customerId', '=', filter.customerId);
  if (filter.from !== undefined) query = query.where('checkOut', '>', filter.from);
  if (filter.to !== undefined) query = query.where('checkIn', '<', filter.to);
  if (filter.propertyIds !== undefined) query = query.where('propertyId', 'in', filter.propertyIds);
  if (filter.customerIds !== undefined) query = query.where('customerId', 'in', filter.customerIds);
  return query;
}

/** A page of bookings, the next arrivals last: by check-in descending, then newest first. */
export async function listBookings(
  db: Queryable,
  filter: BookingFilter,
  page: { limit: number; offset: number },
): Promise<{ data: BookingRow[]; total: number }> {
  const query = filteredBookings(db, filter);
  if (!query) return { data: [], total: 0 };
  const rows = await query
    .selectAll()
    .orderBy('checkIn', 'desc')
    .orderBy('createdAt', 'desc')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { data: rows as BookingRow[], total: await countRows(query) };
}

/** The first `limit` bookings that pass the filter, newest first (by creation, then id), and how many pass it. */
export async function newestBookings(db: Queryable, filter: BookingFilter, limit: number): Promise<{ data: BookingRow[]; total: number }> {
  const query = filteredBookings(db, filter);
  if (!query) return { data: [], total: 0 };
  const rows = await query.selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return { data: rows as BookingRow[], total: await countRows(query) };
}

/** Bookings of the acting organization still pending or approved whose hold has expired by `now`. */
export async function bookingIdsWithExpiredHolds(db: Queryable, now: Date, options: { lock?: boolean } = {}): Promise<string[]> {
  let query = db
    .selectFrom('booking')
    .select('id')
    .where('holdExpiresAt', '<=', now)
    .where('status', 'in', ['pending', 'approved'])
    .orderBy('id');
  if (options.lock) query = query.forUpdate();
  const rows = await query.execute();
  return rows.map((row) => row.id);
}

/** The bookings of a customer, locked: a merge moves them. */
export async function lockBookingsOfCustomer(tx: Tx, customerId: string): Promise<BookingRow[]> {
  return (await tx
    .selectFrom('booking')
    .selectAll()
    .where('customerId', '=', customerId)
    .orderBy('id')
    .forUpdate()
    .execute()) as BookingRow[];
}
