import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { propertyFacts, unitFacts, unitTypeFacts } from '../inventory/index.ts';
import { type ListingTerms, listingTerms } from '../listings/index.ts';
import type { Quote } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';
import { datesUnavailable, detailOf, expireBookings, quoteOf, recordAmendment, retryingDeadlocks } from './lifecycle.ts';
import { changeOccupancy, type Nights, OccupancyConflict } from './occupancy.ts';
import type { BookingDetail, ChangeBookingBody, MoveBookingBody } from './schemas.ts';
import { type RowScope, visibleBooking } from './scope.ts';
import { changeableStatuses } from './state-machine.ts';
import { checkGuests, checkNotPast, invalid, priceStay, type StayRequest, stayDatesOf } from './stays.ts';
import type { BookingChange, BookingRow } from './store.ts';

/** Changing a booking without changing its status: its dates and guests (PATCH), or its unit (move). */

interface AmendInput<Body> {
  bookingId: string;
  body: Body;
  caller: Caller;
  scope: RowScope;
  now?: Date;
}

async function lockChangeable(tx: Tx, input: AmendInput<{ version?: number | undefined }>): Promise<BookingRow> {
  const booking = await visibleBooking(tx, input.bookingId, input.scope, { forUpdate: true });
  if (input.body.version !== undefined && input.body.version !== booking.version) {
    throw bookingErrors.raise('version_conflict', `You sent version ${input.body.version}; the booking is at version ${booking.version}`);
  }
  if (!changeableStatuses.includes(booking.status)) {
    throw bookingErrors.raise('not_changeable', `A ${booking.status} booking keeps its dates, guests and unit`);
  }
  return booking;
}

async function termsOf(tx: Tx, booking: BookingRow): Promise<ListingTerms | undefined> {
  if (booking.rentalMode === 'daily' || booking.listingId === null) return undefined;
  const terms = await listingTerms(tx, booking.listingId);
  if (!terms) throw bookingErrors.raise('not_changeable', `The listing of booking ${booking.reference} is gone, and with it its prices`);
  return terms;
}

/** Moves the booking's occupation; taken nights or unit answer 409 and leave it as it was. */
async function moveOccupancy(tx: Tx, booking: BookingRow, change: { nights?: Nights; unitId?: string }, caller: Caller, now: Date) {
  try {
    const { expiredBookingIds } = await retryingDeadlocks(() => changeOccupancy(tx, booking.id, change, now));
    await expireBookings(tx, expiredBookingIds, caller, now);
  } catch (error) {
    if (error instanceof OccupancyConflict) throw datesUnavailable(error.message);
    throw error;
  }
}

const fieldsByMode = {
  daily: ['checkIn', 'checkOut'],
  monthly: ['startDate', 'months'],
  lease: ['startDate', 'termMonths'],
} as const;

/**
 * PATCH /v1/bookings/:id: new dates or guests, priced again and checked against the unit's other
 * occupations in one step (the old nights stay taken if the new ones are not free).
 */
export async function changeBooking(tx: Tx, input: AmendInput<ChangeBookingBody>): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const { body } = input;
  const booking = await lockChangeable(tx, input);
  const allowed: readonly string[] = fieldsByMode[booking.rentalMode];
  for (const field of ['checkIn', 'checkOut', 'startDate', 'months', 'termMonths'] as const) {
    if (body[field] !== undefined && !allowed.includes(field))
      throw invalid(`body.${field}`, `A ${booking.rentalMode} booking changes ${allowed.join(' and ')}`);
  }
  const request: StayRequest = {
    rentalMode: booking.rentalMode,
    checkIn: body.checkIn ?? booking.checkIn,
    checkOut: body.checkOut ?? booking.checkOut,
    startDate: body.startDate ?? booking.checkIn,
    months: body.months ?? booking.months ?? undefined,
    termMonths: body.termMonths ?? booking.leaseTermMonths ?? undefined,
    adults: body.adults ?? booking.adults,
    children: body.children ?? booking.children,
  };
  const stayChanged =
    request.checkIn !== booking.checkIn ||
    (booking.rentalMode === 'daily' && request.checkOut !== booking.checkOut) ||
    (booking.rentalMode === 'monthly' && request.months !== booking.months) ||
    (booking.rentalMode === 'lease' && request.termMonths !== booking.leaseTermMonths) ||
    (booking.rentalMode !== 'daily' && request.startDate !== booking.checkIn) ||
    request.adults !== booking.adults ||
    request.children !== booking.children;
  const notesChanged = body.notes !== undefined && body.notes !== booking.notes;
  if (!stayChanged && !notesChanged) return detailOf(tx, booking);

  const change: BookingChange = notesChanged ? { notes: body.notes ?? null } : {};
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  if (notesChanged) changes.notes = { from: booking.notes, to: body.notes };
  if (stayChanged) {
    const terms = await termsOf(tx, booking);
    const dates = stayDatesOf(request, terms);
    if (dates.checkIn !== booking.checkIn) {
      if (booking.status === 'checked_in') throw bookingErrors.raise('not_changeable', 'A checked-in stay keeps its check-in date');
      const property = await propertyFacts(tx, booking.propertyId);
      if (property) checkNotPast(dates.checkIn, property, now);
    }
    const unitType = await unitTypeFacts(tx, booking.unitTypeId);
    if (unitType) checkGuests(unitType, request);
    const quote = await priceStay(tx, {
      rentalMode: booking.rentalMode,
      dates,
      unitTypeId: booking.unitTypeId,
      ...(booking.ratePlanId === null ? {} : { ratePlanId: booking.ratePlanId }),
      propertyId: booking.propertyId,
      terms,
      adults: request.adults,
      children: request.children,
    });
    if (quote.checkIn !== booking.checkIn || quote.checkOut !== booking.checkOut) {
      await moveOccupancy(tx, booking, { nights: { from: quote.checkIn, to: quote.checkOut } }, input.caller, now);
    }
    Object.assign(change, priceChange(quote), {
      checkIn: quote.checkIn,
      checkOut: quote.checkOut,
      months: booking.rentalMode === 'monthly' ? (dates.months ?? null) : null,
      leaseTermMonths: booking.rentalMode === 'lease' ? (dates.termMonths ?? null) : null,
      adults: request.adults,
      children: request.children,
    });
    for (const key of ['checkIn', 'checkOut', 'months', 'leaseTermMonths', 'adults', 'children', 'totalAmount'] as const) {
      if (change[key] !== booking[key]) changes[key] = { from: booking[key], to: change[key] };
    }
  }
  const updated = await recordAmendment(tx, booking, change, input.caller, { type: 'changed', data: { changes } });
  return detailOf(tx, updated);
}

function priceChange(quote: Quote): BookingChange {
  return {
    priceBreakdown: JSON.stringify(quote),
    totalAmount: quote.totals.total,
    currency: quote.currency,
    ratePlanId: quote.ratePlanId ?? null,
  };
}

/**
 * POST /v1/bookings/:id/move: another unit of the same property, of the same type, or of another
 * type named explicitly (a daily stay is then priced again with that type's plan).
 */
export async function moveBooking(tx: Tx, input: AmendInput<MoveBookingBody>): Promise<BookingDetail> {
  const now = input.now ?? new Date();
  const { body } = input;
  const booking = await lockChangeable(tx, input);
  const unit = await unitFacts(tx, body.unitId);
  if (!unit) throw bookingErrors.raise('unit_not_found', `No unit ${body.unitId} here`);
  if (unit.id === booking.unitId) return detailOf(tx, booking);
  if (unit.propertyId !== booking.propertyId) throw bookingErrors.raise('unit_mismatch', `Unit ${unit.name} is in another property`);
  if (body.unitTypeId !== undefined && body.unitTypeId !== unit.unitTypeId) {
    throw bookingErrors.raise('unit_mismatch', `Unit ${unit.name} is not of unit type ${body.unitTypeId}`);
  }
  const changesType = unit.unitTypeId !== booking.unitTypeId;
  if (changesType && body.unitTypeId === undefined) {
    throw bookingErrors.raise(
      'unit_mismatch',
      `Unit ${unit.name} is of another type: name it (unitTypeId ${unit.unitTypeId}) to move there and price the stay again`,
    );
  }
  if (unit.operationalStatus !== 'in_service')
    throw bookingErrors.raise('unit_out_of_order', `Unit ${unit.name} is ${unit.operationalStatus}`);

  const change: BookingChange = { unitId: unit.id };
  let repriced = false;
  if (changesType) {
    const unitType = await unitTypeFacts(tx, unit.unitTypeId);
    if (!unitType) throw bookingErrors.raise('unit_not_found', `The type of unit ${unit.name} is gone`);
    checkGuests(unitType, booking);
    change.unitTypeId = unitType.id;
    if (booking.rentalMode === 'daily') {
      const quote = await priceStay(tx, {
        rentalMode: 'daily',
        dates: { checkIn: booking.checkIn, checkOut: booking.checkOut },
        unitTypeId: unitType.id,
        propertyId: booking.propertyId,
        terms: undefined,
        adults: booking.adults,
        children: booking.children,
      });
      Object.assign(change, priceChange(quote));
      repriced = true;
    }
  }
  await moveOccupancy(tx, booking, { unitId: unit.id }, input.caller, now);
  const updated = await recordAmendment(tx, booking, change, input.caller, {
    type: 'moved',
    data: {
      fromUnitId: booking.unitId,
      toUnitId: unit.id,
      fromUnitTypeId: booking.unitTypeId,
      toUnitTypeId: unit.unitTypeId,
      repriced,
      ...(repriced ? { previousTotal: quoteOf(booking).totals.total } : {}),
    },
  });
  return detailOf(tx, updated);
}
