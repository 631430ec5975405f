import type { Queryable } from '../../platform/db/database.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import { customerFacts, customerIdsOfUser } from '../customers/index.ts';
import { bookingErrors } from './errors.ts';
import { detailOf, summaryOf } from './lifecycle.ts';
import type { BookingDetail, BookingListQuery, BookingSummary } from './schemas.ts';
import { type RowScope, visibleBooking } from './scope.ts';
import { listBookings } from './store.ts';

/** Reading bookings within the caller's scope. */

export async function getBooking(db: Queryable, input: { bookingId: string; scope: RowScope }): Promise<BookingDetail> {
  return detailOf(db, await visibleBooking(db, input.bookingId, input.scope));
}

/**
 * GET /v1/bookings: `role=seeker` lists the caller's own bookings as a customer of the acting
 * organization; `role=owner` the organization's, within the caller's scope.
 */
export async function findBookings(
  db: Queryable,
  input: { query: BookingListQuery; scope: RowScope; userId: string },
): Promise<{ data: BookingSummary[]; total: number }> {
  const { query } = input;
  const scope: RowScope =
    query.role === 'seeker' ? { ...input.scope, customerIds: await customerIdsOfUser(db, input.userId) } : input.scope;
  const { data, total } = await listBookings(
    db,
    {
      ...scope,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.propertyId === undefined ? {} : { propertyId: query.propertyId }),
      ...(query.customerId === undefined ? {} : { customerId: query.customerId }),
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
    },
    offsetOf(query),
  );
  return { data: data.map(summaryOf), total };
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
