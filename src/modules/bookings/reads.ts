import type { Queryable, Tx } from '../../platform/db/database.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import { customerFacts, customerIdsOfUser } from '../customers/index.ts';
import { bookingErrors } from './errors.ts';
import { detailOf, summaryOf } from './lifecycle.ts';
import type { BookingDetail, BookingListQuery, BookingSummary } from './schemas.ts';
import { type RowScope, visibleBooking } from './scope.ts';
import { type BookingFilter, type BookingRow, listBookings, newestBookings } from './store.ts';

/** Reading bookings within the caller's scope. */

export async function getBooking(db: Queryable, input: { bookingId: string; scope: RowScope }): Promise<BookingDetail> {
  return detailOf(db, await visibleBooking(db, input.bookingId, input.scope));
}

/** The list's filters as the store takes them. */
function filterOf(query: BookingListQuery): BookingFilter {
  return {
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.propertyId === undefined ? {} : { propertyId: query.propertyId }),
    ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
  };
}

/** GET /v1/bookings (`role=owner`): the acting organization's bookings within the caller's scope. */
export async function findBookings(
  db: Queryable,
  input: { query: BookingListQuery; scope: RowScope },
): Promise<{ data: BookingSummary[]; total: number }> {
  const { data, total } = await listBookings(db, { ...input.scope, ...filterOf(input.query) }, offsetOf(input.query));
  return { data: data.map(summaryOf), total };
}

/**
 * GET /v1/bookings?role=seeker: the caller's own bookings as a customer in every organization
 * they belong to (a marketplace booking makes them a `customer` member of the listing's
 * organization), newest first, each with its organization's id.
 *
 * Row-level security confines a transaction to one organization, so the one read-only transaction
 * acts for each organization in turn (`withTenant`; it is left acting for the last) and takes
 * there the first `offset + limit` of the caller's bookings and their count; the merged, sorted
 * rows are then cut to the page. That costs two queries per organization, each reading at most a
 * page's end of rows: a user belongs to few organizations (those they booked with or work for), and
 * that bounds it.
 */
export async function seekerBookings(
  tx: Tx,
  input: { query: BookingListQuery; userId: string; organizationIds: readonly string[] },
): Promise<{ data: BookingSummary[]; total: number }> {
  const { limit, offset } = offsetOf(input.query);
  const rows: BookingRow[] = [];
  let total = 0;
  for (const orgId of input.organizationIds) {
    await withTenant(tx, orgId);
    const customerIds = await customerIdsOfUser(tx, input.userId);
    const found = await newestBookings(tx, { ...filterOf(input.query), customerIds }, offset + limit);
    rows.push(...found.data);
    total += found.total;
  }
  rows.sort(newestFirst);
  return { data: rows.slice(offset, offset + limit).map(summaryOf), total };
}

/** By creation time, the latest first, then by id descending (as `newestBookings` orders them). */
function newestFirst(a: BookingRow, b: BookingRow): number {
  const time = b.createdAt.getTime() - a.createdAt.getTime();
  return time !== 0 ? time : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** GET /v1/customers/:customerId/bookings: a customer's stays, the latest first. */
export async function stayHistory(
  db: Queryable,
  input: { customerId: string; scope: RowScope; query: PageQuery },
): Promise<{ data: BookingSummary[]; total: number }> {
  const customer = await customerFacts(db, input.customerId);
  if (!customer || (input.scope.customerIds !== undefined && !input.scope.customerIds.includes(customer.id))) {
    throw bookingErrors.raise('customer_not_found', `No customer ${input.customerId} here`);
  }
  const { data, total } = await listBookings(db, { ...input.scope, customerId: customer.id }, offsetOf(input.query));
  return { data: data.map(summaryOf), total };
}
