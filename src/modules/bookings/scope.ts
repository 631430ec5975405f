import type { Queryable } from '../../platform/db/database.ts';
import { customerIdsOfUser } from '../customers/index.ts';
import { propertyIdsOwnedBy } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { bookingErrors } from './errors.ts';
import { type BookingRow, bookingById } from './store.ts';

/**
 * The bookings a caller's granted scope reaches: every one of the organization (`all`), an owner
 * member's properties' (`own` for `owner`), or a customer member's own (`own` otherwise). Outside
 * the scope a booking answers 404, like another organization's.
 */
export interface RowScope {
  propertyIds?: string[];
  customerIds?: string[];
}

export async function rowScopeOf(db: Queryable, access: Pick<Access, 'scope' | 'role' | 'userId'>): Promise<RowScope> {
  if (access.scope === 'all') return {};
  if (access.role === 'owner') return { propertyIds: await propertyIdsOwnedBy(db, access.userId) };
  if (access.scope === 'own') return { customerIds: await customerIdsOfUser(db, access.userId) };
  return { customerIds: [] };
}

export function inScope(row: Pick<BookingRow, 'propertyId' | 'customerId'>, scope: RowScope): boolean {
  return (
    (scope.propertyIds === undefined || scope.propertyIds.includes(row.propertyId)) &&
    (scope.customerIds === undefined || scope.customerIds.includes(row.customerId))
  );
}

/** The booking within the scope, locked for a change when `forUpdate`; 404 otherwise. */
export async function visibleBooking(
  db: Queryable,
  bookingId: string,
  scope: RowScope,
  options: { forUpdate?: boolean } = {},
): Promise<BookingRow> {
  const row = await bookingById(db, bookingId, options);
  if (!row || !inScope(row, scope)) throw bookingErrors.raise('not_found', `No booking ${bookingId} here`);
  return row;
}
