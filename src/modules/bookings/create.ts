import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { type CustomerFacts, createCustomer, customerFacts, customerForUser } from '../customers/index.ts';
import { findUser } from '../identity/index.ts';
import { unitFacts, unitsOfType } from '../inventory/index.ts';
import { joinAsCustomer } from '../organizations/index.ts';
import { cancellationPolicySnapshot } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';
import {
  datesUnavailable,
  detailOf,
  expireBookings,
  firmKind,
  type HoldSettings,
  paymentHoldUntil,
  recordCreation,
  recordTransition,
  requestHoldUntil,
  retryingDeadlocks,
} from './lifecycle.ts';
import { OccupancyConflict, occupyFirstFree } from './occupancy.ts';
import { newReference } from './reference.ts';
import type { BookingDetail, CreateBookingBody, Guarantee } from './schemas.ts';
import { checkNewStay, invalid, priceNewStay, resolveTarget, type StayTarget } from './stays.ts';
import { type BookingRow, bookingById, insertBooking } from './store.ts';

export interface CreateBookingInput {
  body: CreateBookingBody;
  caller: Caller;
  userId: string;
  /** The acting organization when the caller may create bookings for anyone there (staff); null otherwise. */
  staffOrgId: string | null;
  settings: HoldSettings;
  now?: Date;
}

/** Fields a marketplace guest may not set: staff decide who the customer is, the guarantee, the source and the unit. */
const staffOnlyFields = ['customerId', 'customer', 'guarantee', 'source', 'unitId', 'ratePlanId', 'cancellation'] as const;

const referenceAttempts = 8;

/**
 * POST /v1/bookings. Prices the stay, stores the quote and the cancellation policy it is sold
 * under, and occupies a unit: a hold while it waits for approval or payment, firmly once
 * confirmed. Staff bookings are accepted at once and, paid at the property (their default),
 * confirmed at once; marketplace bookings follow the listing's auto-accept for the mode and are
 * paid online, so an accepted one keeps its hold until the payment confirms it.
 */
export async function createBooking(tx: Tx, input: CreateBookingInput): Promise<BookingDetail> {
  const { body, userId } = input;
  const now = input.now ?? new Date();
  const target = await resolveTarget(tx, body, input.staffOrgId);
  const caller = target.marketplace ? guestCaller(input.caller, target.orgId) : input.caller;
  if (target.marketplace) {
    const set = staffOnlyFields.filter((field) => field in body && (body as Record<string, unknown>)[field] !== undefined);
    if (set.length > 0) throw bookingErrors.raise('staff_only', `Only staff of the organization set ${set.join(', ')}`);
  }
  const dates = checkNewStay(target, body, now);
  const unitIds = await candidateUnits(tx, target, body.unitId);

  const quote = await priceNewStay(tx, target, body, dates);
  const policy = await cancellationPolicySnapshot(
    tx,
    target.terms?.cancellation ?? (body.rentalMode === 'daily' ? body.cancellation : undefined) ?? { preset: 'moderate' },
  );

  // The customer before the unit: a booking that then fails rolls the new customer back with it.
  const customer = target.marketplace ? await guestCustomer(tx, target.orgId, userId, caller) : await namedCustomer(tx, body, caller);
  if (customer.blacklisted)
    throw bookingErrors.raise('customer_blacklisted', `${customer.firstName} ${customer.lastName} may not book here`);

  const guarantee: Guarantee = body.guarantee ?? (target.marketplace ? 'online_payment' : 'pay_at_property');
  const accepted = !target.marketplace || target.terms?.autoAccept[body.rentalMode] === true;
  const confirmed = accepted && guarantee === 'pay_at_property';
  const holdExpiresAt = confirmed
    ? null
    : accepted && body.rentalMode === 'daily'
      ? paymentHoldUntil(input.settings, now)
      : requestHoldUntil(input.settings, now);

  const row = await insertWithReference(tx, {
    id: uuidv7(),
    orgId: target.orgId,
    listingId: target.terms?.id ?? null,
    propertyId: target.property.id,
    unitTypeId: target.unitType.id,
    unitId: unitIds[0]!,
    ratePlanId: quote.ratePlanId ?? null,
    customerId: customer.id,
    rentalMode: body.rentalMode,
    status: 'pending',
    checkIn: quote.checkIn,
    checkOut: quote.checkOut,
    months: body.rentalMode === 'monthly' ? (dates.months ?? null) : null,
    leaseTermMonths: body.rentalMode === 'lease' ? (dates.termMonths ?? null) : null,
    autoRenew: body.rentalMode === 'monthly' ? body.autoRenew : false,
    adults: body.adults,
    children: body.children,
    guarantee,
    source: target.marketplace ? 'marketplace' : (body.source ?? 'front_desk'),
    currency: quote.currency,
    totalAmount: quote.totals.total,
    priceBreakdown: JSON.stringify(quote),
    cancellationPolicy: JSON.stringify(policy),
    holdExpiresAt,
    notes: body.notes ?? null,
    createdBy: userId,
  });

  let booking = row;
  try {
    const occupied = await retryingDeadlocks(() =>
      occupyFirstFree(
        tx,
        unitIds,
        {
          nights: { from: row.checkIn, to: row.checkOut },
          kind: confirmed ? firmKind(row) : 'hold',
          bookingId: row.id,
          ...(holdExpiresAt === null ? {} : { expiresAt: holdExpiresAt }),
          createdBy: userId,
        },
        now,
      ),
    );
    if (occupied.unitId !== row.unitId) {
      await tx.updateTable('booking').set({ unitId: occupied.unitId }).where('id', '=', row.id).execute();
      booking = { ...row, unitId: occupied.unitId };
    }
    await expireBookings(tx, occupied.expiredBookingIds, caller, now);
  } catch (error) {
    if (error instanceof OccupancyConflict) {
      throw datesUnavailable(`No ${target.unitType.name} is free from ${row.checkIn} to ${row.checkOut}`);
    }
    throw error;
  }

  await recordCreation(tx, booking, caller, { source: booking.source, guarantee });
  if (accepted) {
    booking = await recordTransition(tx, booking, 'approve', caller, {
      change: { approvedAt: now },
      data: { automatic: true, by: target.marketplace ? 'listing_auto_accept' : 'staff' },
    });
  }
  if (confirmed) {
    booking = await recordTransition(tx, booking, 'confirm', caller, {
      change: { confirmedAt: now, holdExpiresAt: null },
      data: { automatic: true, guarantee },
    });
  }
  return detailOf(tx, booking);
}

/** Units the booking may take, in the order they are tried: the one named (or listed), else every in-service unit of the type. */
async function candidateUnits(tx: Tx, target: StayTarget, requested: string | undefined): Promise<string[]> {
  const listed = target.terms?.unitId ?? undefined;
  if (requested !== undefined && listed !== undefined && requested !== listed) {
    throw bookingErrors.raise('unit_mismatch', `Listing ${target.terms!.title} is for one unit, not ${requested}`);
  }
  const fixed = requested ?? listed;
  if (fixed !== undefined) {
    const unit = await unitFacts(tx, fixed);
    if (!unit) throw bookingErrors.raise('unit_not_found', `No unit ${fixed} here`);
    if (unit.unitTypeId !== target.unitType.id)
      throw bookingErrors.raise('unit_mismatch', `Unit ${unit.name} is not a ${target.unitType.name}`);
    return [unit.id];
  }
  const units = (await unitsOfType(tx, target.unitType.id)).filter((unit) => unit.operationalStatus === 'in_service');
  if (units.length === 0) throw datesUnavailable(`No ${target.unitType.name} is in service`);
  return units.map((unit) => unit.id);
}

async function insertWithReference(tx: Tx, row: Omit<Parameters<typeof insertBooking>[1], 'reference'>): Promise<BookingRow> {
  for (let attempt = 0; attempt < referenceAttempts; attempt++) {
    if (await insertBooking(tx, { ...row, reference: newReference() })) {
      const inserted = await bookingById(tx, row.id);
      if (inserted) return inserted;
    }
  }
  throw bookingErrors.raise('reference_exhausted');
}

/** Staff name the customer, or make one in the same transaction (walk-in, phone). */
async function namedCustomer(tx: Tx, body: CreateBookingBody, caller: Caller): Promise<CustomerFacts> {
  if (body.customerId !== undefined && body.customer !== undefined) throw invalid('body.customer', 'Give customerId or customer, not both');
  if (body.customer !== undefined) return createCustomer(tx, body.customer, caller);
  if (body.customerId === undefined) throw bookingErrors.raise('customer_required');
  let customer = await customerFacts(tx, body.customerId);
  // A record merged away books as the one it was merged into.
  for (let hops = 0; customer?.mergedIntoId && hops < 10; hops++) customer = await customerFacts(tx, customer.mergedIntoId);
  if (!customer) throw bookingErrors.raise('customer_not_found', `No customer ${body.customerId} here`);
  return customer;
}

/**
 * A marketplace guest books as themselves: a `customer` member of the listing's organization, with
 * their customer record there (made from their account the first time).
 */
async function guestCustomer(tx: Tx, orgId: string, userId: string, caller: Caller): Promise<CustomerFacts> {
  await joinAsCustomer(tx, { orgId, userId }, caller);
  const user = await findUser(tx, userId);
  if (!user) throw new Error(`The account ${userId} of a signed-in caller is missing`);
  const [firstName = '', ...rest] = (user.displayName ?? '').trim().split(/\s+/);
  return customerForUser(tx, { userId, email: user.email, firstName, lastName: rest.join(' ') }, caller);
}

/** The guest acts in the listing's organization as a customer, whatever organization their token acts in. */
function guestCaller(caller: Caller, orgId: string): Caller {
  return {
    userId: caller.userId,
    context: { ...caller.context, tenantId: orgId },
    audit: { ...caller.audit, orgId, actor: { ...caller.audit.actor, role: 'customer' } },
  };
}
