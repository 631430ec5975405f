import { type Caller, recordChange, systemCaller } from '../../platform/audit/change.ts';
import type { AuditAction } from '../../platform/audit/audit-log.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Quote } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';
import {
  convertHold,
  extendHold,
  type Nights,
  occupancyOfBooking,
  occupy,
  OccupancyConflict,
  releaseBookingOccupancy,
} from './occupancy.ts';
import type { BookingDetail, BookingEventReply, BookingSummary, Guarantee, BookingSource } from './schemas.ts';
import { type BookingAction, isBookingStatus, requireTransition } from './state-machine.ts';
import { type BookingChange, type BookingRow, bookingById, eventsOfBooking, insertBookingEvent, updateBooking } from './store.ts';

/**
 * What every change of a booking shares: the booking_event row, the outbox event and the audit
 * entry written with it, the occupancy that follows the status, and the booking as replies show it.
 */

export const source = 'bookings';

/** How long holds last (from the configuration). */
export interface HoldSettings {
  holdMinutes: number;
  requestHoldHours: number;
}

const minutes = (now: Date, count: number) => new Date(now.getTime() + count * 60_000);

/** A guest paying now: the short hold. */
export function paymentHoldUntil(settings: HoldSettings, now: Date): Date {
  return minutes(now, settings.holdMinutes);
}

/** Someone else must act (the host approves, the guest pays later): the long hold. */
export function requestHoldUntil(settings: HoldSettings, now: Date): Date {
  return minutes(now, settings.requestHoldHours * 60);
}

/** The occupation a confirmed booking keeps: a lease for leases, a booking otherwise. */
export function firmKind(row: Pick<BookingRow, 'rentalMode'>): 'booking' | 'lease' {
  return row.rentalMode === 'lease' ? 'lease' : 'booking';
}

export function nightsOf(row: Pick<BookingRow, 'checkIn' | 'checkOut'>): Nights {
  return { from: row.checkIn, to: row.checkOut };
}

export function quoteOf(row: BookingRow): Quote {
  return row.priceBreakdown as unknown as Quote;
}

/** The event type of each action, as `booking_event.type` and as the outbox's `booking.<type>`. */
const eventTypes: Record<BookingAction, string> = {
  approve: 'approved',
  decline: 'declined',
  confirm: 'confirmed',
  cancel: 'cancelled',
  expire: 'cancelled',
  check_in: 'checked_in',
  check_out: 'checked_out',
  complete: 'completed',
  no_show: 'no_show',
};

const auditActions: Record<BookingAction, AuditAction> = {
  approve: 'APPROVE',
  decline: 'STATUS_CHANGE',
  confirm: 'CONFIRM',
  cancel: 'CANCEL',
  expire: 'CANCEL',
  check_in: 'CHECK_IN',
  check_out: 'CHECK_OUT',
  complete: 'STATUS_CHANGE',
  no_show: 'NO_SHOW',
};

/** The fields of a booking the outbox events about it carry, besides its id (`bookingId`). */
const publishedFields = [
  'reference',
  'status',
  'rentalMode',
  'listingId',
  'propertyId',
  'unitTypeId',
  'unitId',
  'customerId',
  'checkIn',
  'checkOut',
  'guarantee',
  'currency',
  'totalAmount',
] as const satisfies readonly (keyof BookingSummary)[];

/** The fields of a booking its audit entries show: what people change, not the whole price breakdown. */
const auditedFields = [
  ...publishedFields,
  'ratePlanId',
  'months',
  'leaseTermMonths',
  'adults',
  'children',
  'holdExpiresAt',
  'cancellationReason',
  'refundAmount',
  'notes',
  'version',
] as const satisfies readonly (keyof BookingSummary)[];

function fieldsOf<K extends keyof BookingSummary>(row: BookingRow, fields: readonly K[]): Pick<BookingSummary, K> {
  const summary = summaryOf(row);
  return Object.fromEntries(fields.map((field) => [field, summary[field]])) as Pick<BookingSummary, K>;
}

/** The booking as its audit entries show it. */
function auditView(row: BookingRow): Record<string, unknown> {
  return fieldsOf(row, auditedFields);
}

/** What the outbox events about a booking carry. */
function eventData(row: BookingRow, extra: Record<string, unknown>): Record<string, unknown> {
  return { bookingId: row.id, ...fieldsOf(row, publishedFields), ...extra };
}

/** The booking was made (status pending): its first event. */
export async function recordCreation(tx: Tx, row: BookingRow, caller: Caller, data: Record<string, unknown>): Promise<void> {
  await insertBookingEvent(tx, {
    orgId: row.orgId,
    bookingId: row.id,
    type: 'created',
    fromStatus: null,
    toStatus: row.status,
    actorId: caller.userId,
    data,
  });
  await recordChange(tx, caller, {
    orgId: row.orgId,
    action: 'CREATE',
    entityType: 'booking',
    entityId: row.id,
    after: auditView(row),
    event: { type: 'booking.created', source, data: eventData(row, data) },
  });
}

/**
 * Moves the booking along the transition table (409 `booking.illegal_transition` otherwise), with
 * the change that goes with it, and records it: booking_event, outbox event, audit entry.
 */
export async function recordTransition(
  tx: Tx,
  booking: BookingRow,
  action: BookingAction,
  caller: Caller,
  options: { change?: BookingChange; data?: Record<string, unknown> } = {},
): Promise<BookingRow> {
  const to = requireTransition(booking.status, action);
  const data = options.data ?? {};
  const updated = await updateBooking(tx, booking.id, { ...options.change, status: to });
  await insertBookingEvent(tx, {
    orgId: booking.orgId,
    bookingId: booking.id,
    type: eventTypes[action],
    fromStatus: booking.status,
    toStatus: to,
    actorId: caller.userId,
    data,
  });
  await recordChange(tx, caller, {
    orgId: booking.orgId,
    action: auditActions[action],
    entityType: 'booking',
    entityId: booking.id,
    before: auditView(booking),
    after: auditView(updated),
    event: { type: `booking.${eventTypes[action]}`, source, data: eventData(updated, { previousStatus: booking.status, ...data }) },
  });
  return updated;
}

/** A change that keeps the status (dates, guests, unit, customer): `booking.changed` or `booking.moved`. */
export async function recordAmendment(
  tx: Tx,
  booking: BookingRow,
  change: BookingChange,
  caller: Caller,
  options: { type: 'changed' | 'moved'; data: Record<string, unknown> },
): Promise<BookingRow> {
  const updated = await updateBooking(tx, booking.id, change);
  await insertBookingEvent(tx, {
    orgId: booking.orgId,
    bookingId: booking.id,
    type: options.type,
    fromStatus: booking.status,
    toStatus: updated.status,
    actorId: caller.userId,
    data: options.data,
  });
  await recordChange(tx, caller, {
    orgId: booking.orgId,
    action: 'UPDATE',
    entityType: 'booking',
    entityId: booking.id,
    before: auditView(booking),
    after: auditView(updated),
    event: { type: `booking.${options.type}`, source, data: eventData(updated, options.data) },
  });
  return updated;
}

/**
 * Runs an occupancy change again when PostgreSQL broke a deadlock by failing it. Two transactions
 * inserting overlapping rows at the same moment can each find the other's row and wait for it: an
 * exclusion constraint, unlike a unique index, resolves that only through the deadlock detector.
 * The occupancy functions roll back to their savepoint first, so the transaction is still usable,
 * and the retry then waits for the survivor's outcome like any other conflict.
 */
export async function retryingDeadlocks<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if ((error as { code?: unknown }).code !== '40P01' || attempt >= attempts) throw error;
    }
  }
}

/** The occupancy conflict as the API answers it. */
export function datesUnavailable(detail: string) {
  return bookingErrors.raise('dates_unavailable', detail);
}

/**
 * Makes the booking occupy its unit as `target` says: a hold until a time, or firmly. A hold that
 * is still there is extended or made firm; one that was released (expired, and its nights wanted)
 * is taken anew if the nights are still free, else 409 `booking.dates_unavailable`.
 */
export async function ensureOccupancy(
  tx: Tx,
  booking: BookingRow,
  target: { kind: 'hold'; expiresAt: Date } | { kind: 'booking' | 'lease' },
  caller: Caller,
  now: Date,
): Promise<void> {
  const current = await occupancyOfBooking(tx, booking.id);
  if (current) {
    if (target.kind === 'hold') {
      if (current.kind === 'hold') await extendHold(tx, booking.id, target.expiresAt);
    } else if (current.kind !== target.kind) {
      await convertHold(tx, booking.id, target.kind);
    }
    return;
  }
  try {
    const occupied = await retryingDeadlocks(() =>
      occupy(
        tx,
        {
          unitId: booking.unitId,
          nights: nightsOf(booking),
          kind: target.kind,
          bookingId: booking.id,
          ...(target.kind === 'hold' ? { expiresAt: target.expiresAt } : {}),
          createdBy: caller.userId,
        },
        now,
      ),
    );
    await expireBookings(tx, occupied.expiredBookingIds, caller, now);
  } catch (error) {
    if (error instanceof OccupancyConflict)
      throw datesUnavailable(`The hold of booking ${booking.reference} has lapsed and its nights are taken`);
    throw error;
  }
}

/**
 * Cancels, with reason `timeout`, the bookings whose expired holds were released (by the clean-up
 * job, or by another booking that needed their nights): the system's doing, in the caller's
 * correlation. A booking that has moved on since (confirmed, already cancelled) is left alone.
 */
export async function expireBookings(tx: Tx, bookingIds: readonly string[], cause: Caller, now: Date): Promise<string[]> {
  const expired: string[] = [];
  for (const bookingId of bookingIds) {
    const booking = await bookingById(tx, bookingId, { forUpdate: true });
    if (!booking || (booking.status !== 'pending' && booking.status !== 'approved')) continue;
    // A hold extended (approved, waiting for payment again) is no longer expired.
    if (booking.holdExpiresAt !== null && booking.holdExpiresAt > now) continue;
    const caller = systemCaller(booking.orgId, { correlationId: cause.context.correlationId, causationId: cause.context.causationId });
    await releaseBookingOccupancy(tx, booking.id);
    await recordTransition(tx, booking, 'expire', caller, {
      change: { cancellationReason: 'timeout', cancelledAt: now, holdExpiresAt: null },
      data: { reason: 'timeout', holdExpiredAt: booking.holdExpiresAt?.toISOString() ?? null },
    });
    expired.push(booking.id);
  }
  return expired;
}

/** Where a client app shows the booking. */
export function deepLinkOf(row: Pick<BookingRow, 'id' | 'status'>): string {
  if (row.status === 'pending') return `/booking/requested/${row.id}`;
  if (row.status === 'confirmed') return `/booking-confirmation/${row.id}`;
  return `/booking-history/${row.id}`;
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export function summaryOf(row: BookingRow): BookingSummary {
  return {
    id: row.id,
    organizationId: row.orgId,
    reference: row.reference,
    status: row.status,
    rentalMode: row.rentalMode,
    listingId: row.listingId,
    propertyId: row.propertyId,
    unitTypeId: row.unitTypeId,
    unitId: row.unitId,
    ratePlanId: row.ratePlanId,
    customerId: row.customerId,
    checkIn: row.checkIn,
    checkOut: row.checkOut,
    months: row.months,
    leaseTermMonths: row.leaseTermMonths,
    autoRenew: row.autoRenew,
    adults: row.adults,
    children: row.children,
    guarantee: row.guarantee as Guarantee,
    source: row.source as BookingSource,
    currency: row.currency,
    totalAmount: row.totalAmount,
    holdExpiresAt: iso(row.holdExpiresAt),
    notes: row.notes,
    approvalNote: row.approvalNote,
    declineReason: row.declineReason,
    cancellationReason: row.cancellationReason,
    cancellationNote: row.cancellationNote,
    refundAmount: row.refundAmount,
    approvedAt: iso(row.approvedAt),
    confirmedAt: iso(row.confirmedAt),
    checkedInAt: iso(row.checkedInAt),
    checkedOutAt: iso(row.checkedOutAt),
    completedAt: iso(row.completedAt),
    cancelledAt: iso(row.cancelledAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
    deepLink: deepLinkOf(row),
  };
}

/** The booking with its price breakdown, its cancellation policy and what happened to it. */
export async function detailOf(db: Queryable, row: BookingRow): Promise<BookingDetail> {
  const events = await eventsOfBooking(db, row.id);
  return {
    ...summaryOf(row),
    priceBreakdown: quoteOf(row),
    cancellationPolicy: row.cancellationPolicy as Record<string, unknown>,
    events: events.map((event): BookingEventReply => ({
      id: event.id,
      type: event.type,
      fromStatus: event.fromStatus !== null && isBookingStatus(event.fromStatus) ? event.fromStatus : null,
      toStatus: event.toStatus !== null && isBookingStatus(event.toStatus) ? event.toStatus : null,
      actorType: event.actorType as 'user' | 'system',
      actorId: event.actorId,
      data: event.data as Record<string, unknown>,
      occurredAt: event.occurredAt.toISOString(),
    })),
  };
}
