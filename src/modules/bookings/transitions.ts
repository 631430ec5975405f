import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { instantAt, isBefore, parseDate, todayIn } from '../../platform/dates.ts';
import { markUnitDirty, type PropertyFacts, propertyFacts, unitFacts } from '../inventory/index.ts';
import { type CancellationPolicySnapshot, cancellationRefund } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';
import {
  detailOf,
  ensureOccupancy,
  firmKind,
  type HoldSettings,
  quoteOf,
  recordTransition,
  requestHoldUntil,
  summaryOf,
} from './lifecycle.ts';
import { changeOccupancy, releaseBookingOccupancy } from './occupancy.ts';
import type { BookingDetail, BookingSummary, CancellationPreviewReply, CancelReason } from './schemas.ts';
import { type RowScope, visibleBooking } from './scope.ts';
import { requireTransition } from './state-machine.ts';
import type { BookingRow } from './store.ts';

/** The endpoints' transitions: each locks the booking, checks the table and the rule of the step, and records it. */

export interface TransitionInput {
  bookingId: string;
  caller: Caller;
  scope: RowScope;
  note?: string | undefined;
  now?: Date;
}

async function lock(tx: Tx, input: TransitionInput): Promise<BookingRow> {
  return visibleBooking(tx, input.bookingId, input.scope, { forUpdate: true });
}

const noteData = (note: string | undefined) => (note === undefined || note === '' ? {} : { note });

async function propertyOf(tx: Tx, booking: BookingRow): Promise<PropertyFacts> {
  const property = await propertyFacts(tx, booking.propertyId);
  if (!property) throw new Error(`Property ${booking.propertyId} of booking ${booking.id} is missing`);
  return property;
}

/**
 * pending → approved. Paid at the property, the booking is confirmed at once and occupies its unit
 * firmly; paid online, it keeps holding the unit, now for the guest's payment.
 */
export async function approveBooking(tx: Tx, input: TransitionInput & { settings: HoldSettings }): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const booking = await lock(tx, input);
  requireTransition(booking.status, 'approve');
  const payAtProperty = booking.guarantee === 'pay_at_property';
  const holdUntil = requestHoldUntil(input.settings, now);
  await ensureOccupancy(
    tx,
    booking,
    payAtProperty ? { kind: firmKind(booking) } : { kind: 'hold', expiresAt: holdUntil },
    input.caller,
    now,
  );
  let updated = await recordTransition(tx, booking, 'approve', input.caller, {
    change: { approvedAt: now, approvalNote: input.note ?? null, holdExpiresAt: payAtProperty ? null : holdUntil },
    data: noteData(input.note),
  });
  if (payAtProperty) {
    updated = await recordTransition(tx, updated, 'confirm', input.caller, {
      change: { confirmedAt: now, holdExpiresAt: null },
      data: { automatic: true, guarantee: booking.guarantee },
    });
  }
  return detailOf(tx, updated);
}

/** pending → declined: the unit is free again. */
export async function declineBooking(tx: Tx, input: TransitionInput & { reason?: string | undefined }): Promise<BookingDetail> {
  const booking = await lock(tx, input);
  requireTransition(booking.status, 'decline');
  await releaseBookingOccupancy(tx, booking.id);
  const updated = await recordTransition(tx, booking, 'decline', input.caller, {
    change: { declineReason: input.reason ?? null, holdExpiresAt: null },
    data: input.reason === undefined ? {} : { reason: input.reason },
  });
  return detailOf(tx, updated);
}

/**
 * approved → confirmed: the guarantee is in (a payment, or staff recording one made offline), and
 * the hold becomes the booking's (or the lease's) occupation.
 */
export async function confirmApproved(
  tx: Tx,
  booking: BookingRow,
  caller: Caller,
  data: Record<string, unknown>,
  now: Date,
): Promise<BookingRow> {
  requireTransition(booking.status, 'confirm');
  await ensureOccupancy(tx, booking, { kind: firmKind(booking) }, caller, now);
  return recordTransition(tx, booking, 'confirm', caller, { change: { confirmedAt: now, holdExpiresAt: null }, data });
}

export async function confirmBookingByStaff(tx: Tx, input: TransitionInput): Promise<BookingDetail> {
  const booking = await lock(tx, input);
  const updated = await confirmApproved(
    tx,
    booking,
    input.caller,
    { recordedBy: 'staff', ...noteData(input.note) },
    input.now ?? new Date(),
  );
  return detailOf(tx, updated);
}

/** What cancelling now refunds under the booking's own policy snapshot. */
export function refundOf(
  booking: BookingRow,
  property: PropertyFacts,
  now: Date,
): ReturnType<typeof cancellationRefund> & { checkInAt: Date } {
  const checkInAt = instantAt(parseDate(booking.checkIn), property.checkInTime, property.timeZone);
  const policy = booking.cancellationPolicy as unknown as CancellationPolicySnapshot;
  return { ...cancellationRefund(policy, { quote: quoteOf(booking), checkInAt, now }), checkInAt };
}

/**
 * pending, approved or confirmed → cancelled, applying the cancellation policy the booking was
 * sold under: the refund is stored, the unit is free again. A customer cancels only their own,
 * always as `customer_request`.
 */
export async function cancelBooking(
  tx: Tx,
  input: TransitionInput & { reason: CancelReason; byCustomer: boolean },
): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const booking = await lock(tx, input);
  requireTransition(booking.status, 'cancel');
  const refund = refundOf(booking, await propertyOf(tx, booking), now);
  await releaseBookingOccupancy(tx, booking.id);
  const updated = await recordTransition(tx, booking, 'cancel', input.caller, {
    change: {
      cancellationReason: input.reason,
      cancellationNote: input.note ?? null,
      refundAmount: refund.refund,
      cancelledAt: now,
      holdExpiresAt: null,
    },
    data: {
      reason: input.reason,
      refundAmount: refund.refund,
      penalty: refund.penalty,
      byCustomer: input.byCustomer,
      ...noteData(input.note),
    },
  });
  return detailOf(tx, updated);
}

/** GET …/cancellation-preview: what cancelling now would refund, changing nothing. */
export async function cancellationPreview(
  tx: Tx,
  input: { bookingId: string; scope: RowScope; now?: Date },
): Promise<CancellationPreviewReply> {
  const booking = await visibleBooking(tx, input.bookingId, input.scope);
  requireTransition(booking.status, 'cancel');
  const refund = refundOf(booking, await propertyOf(tx, booking), input.now ?? new Date());
  return {
    bookingId: booking.id,
    status: booking.status,
    currency: refund.currency,
    total: booking.totalAmount,
    refund: refund.refund,
    penalty: refund.penalty,
    checkInAt: refund.checkInAt.toISOString(),
    window: refund.window,
    lines: refund.lines,
    policy: booking.cancellationPolicy as Record<string, unknown>,
  };
}

/** confirmed → checked_in: from the check-in date (the property's today) until the check-out date, into a unit in service. */
export async function checkIn(tx: Tx, input: TransitionInput): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const booking = await lock(tx, input);
  requireTransition(booking.status, 'check_in');
  const property = await propertyOf(tx, booking);
  const today = todayIn(property.timeZone, now);
  if (isBefore(today, parseDate(booking.checkIn)) || !isBefore(today, parseDate(booking.checkOut))) {
    throw bookingErrors.raise(
      'check_in_not_open',
      `Booking ${booking.reference} checks in from ${booking.checkIn} until ${booking.checkOut}; it is ${today.toString()} at ${property.name}`,
    );
  }
  const unit = await unitFacts(tx, booking.unitId);
  if (unit?.operationalStatus !== 'in_service') {
    throw bookingErrors.raise(
      'unit_out_of_order',
      `Unit ${unit?.name ?? booking.unitId} is ${unit?.operationalStatus ?? 'gone'}: move the booking first`,
    );
  }
  const updated = await recordTransition(tx, booking, 'check_in', input.caller, {
    change: { checkedInAt: now },
    data: noteData(input.note),
  });
  return detailOf(tx, updated);
}

/**
 * checked_in → checked_out: the unit becomes dirty. Leaving before the check-out date frees the
 * remaining nights: the occupation then ends today.
 */
export async function checkOut(tx: Tx, input: TransitionInput): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const booking = await lock(tx, input);
  requireTransition(booking.status, 'check_out');
  const property = await propertyOf(tx, booking);
  const today = todayIn(property.timeZone, now);
  let early: Record<string, unknown> = {};
  if (isBefore(today, parseDate(booking.checkOut))) {
    if (isBefore(parseDate(booking.checkIn), today)) {
      await changeOccupancy(tx, booking.id, { nights: { from: booking.checkIn, to: today.toString() } }, now);
    } else {
      await releaseBookingOccupancy(tx, booking.id);
    }
    early = { early: true, occupiedUntil: today.toString() };
  }
  await markUnitDirty(tx, booking.unitId, input.caller);
  const updated = await recordTransition(tx, booking, 'check_out', input.caller, {
    change: { checkedOutAt: now },
    data: { ...early, ...noteData(input.note) },
  });
  return detailOf(tx, updated);
}

/** checked_out → completed. */
export async function completeBooking(tx: Tx, input: TransitionInput): Promise<BookingDetail> {
  const booking = await lock(tx, input);
  const updated = await recordTransition(tx, booking, 'complete', input.caller, {
    change: { completedAt: input.now ?? new Date() },
    data: noteData(input.note),
  });
  return detailOf(tx, updated);
}

/** confirmed → no_show, on or after the check-in date: the unit is free again. */
export async function recordNoShow(tx: Tx, input: TransitionInput): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const booking = await lock(tx, input);
  requireTransition(booking.status, 'no_show');
  const property = await propertyOf(tx, booking);
  const today = todayIn(property.timeZone, now);
  if (isBefore(today, parseDate(booking.checkIn))) {
    throw bookingErrors.raise(
      'no_show_too_early',
      `Booking ${booking.reference} checks in on ${booking.checkIn}; it is ${today.toString()}`,
    );
  }
  await releaseBookingOccupancy(tx, booking.id);
  const updated = await recordTransition(tx, booking, 'no_show', input.caller, { data: noteData(input.note) });
  return detailOf(tx, updated);
}

/** For the payments module: the payment of an approved booking confirms it. */
export async function confirmBooking(tx: Tx, bookingId: string, caller: Caller): Promise<BookingSummary> {
  const booking = await visibleBooking(tx, bookingId, {}, { forUpdate: true });
  return summaryOf(await confirmApproved(tx, booking, caller, { recordedBy: 'payment' }, new Date()));
}
