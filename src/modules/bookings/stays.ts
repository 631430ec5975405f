import type { Tx } from '../../platform/db/database.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { isBefore, parseDate, parseMonth, todayIn } from '../../platform/dates.ts';
import { platformErrors } from '../../platform/http/errors.ts';
import { type PropertyFacts, propertyFacts, type UnitTypeFacts, unitTypeFacts } from '../inventory/index.ts';
import { type ListingTerms, listingTerms, publicListingOrganization } from '../listings/index.ts';
import { type Quote, quoteDailyStay, quoteLease, quoteMonthlyStay, type RentalMode } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';

/**
 * What a booking or a quote is for: where it is (the listing's organization, or the caller's own for
 * staff), which unit type of which property, and its dates and price in its rental mode.
 */

/** The fields of a booking or quote request that say what is rented and when. */
export interface StayRequest {
  rentalMode: RentalMode;
  listingId?: string;
  unitTypeId?: string;
  ratePlanId?: string;
  checkIn?: string;
  checkOut?: string;
  startMonth?: string;
  startDate?: string;
  months?: number;
  termMonths?: number;
  adults: number;
  children: number;
}

export interface StayTarget {
  orgId: string;
  /** A signed-in guest booking a published listing, not staff of its organization. */
  marketplace: boolean;
  terms: ListingTerms | undefined;
  unitType: UnitTypeFacts;
  property: PropertyFacts;
}

export function invalid(path: string, message: string) {
  return platformErrors.raise('validation_failed', `${path}: ${message}`, { errors: [{ path, message, code: 'custom' }] });
}

/**
 * Finds what is rented. Staff (`staffOrgId`: the acting organization, where the caller may create
 * bookings for anyone) reach their organization's listings, published or not, and its unit types
 * directly; anyone else reaches approved, active listings of any organization, whose organization
 * the transaction then acts in.
 */
export async function resolveTarget(tx: Tx, request: StayRequest, staffOrgId: string | null): Promise<StayTarget> {
  if (request.listingId !== undefined && request.unitTypeId !== undefined)
    throw invalid('body.unitTypeId', 'Name a listing or a unit type, not both');
  if (request.listingId !== undefined) {
    const own = staffOrgId === null ? undefined : await listingTerms(tx, request.listingId);
    if (own) return { ...(await placeOf(tx, own)), orgId: own.orgId, marketplace: false, terms: own };
    const orgId = await publicListingOrganization(tx, request.listingId);
    if (orgId === undefined) throw bookingErrors.raise('listing_not_found', `No listing ${request.listingId} is open for bookings`);
    await withTenant(tx, orgId);
    const terms = await listingTerms(tx, request.listingId);
    if (!terms?.isActive || terms.moderationStatus !== 'approved') {
      throw bookingErrors.raise('listing_not_found', `No listing ${request.listingId} is open for bookings`);
    }
    return { ...(await placeOf(tx, terms)), orgId, marketplace: true, terms };
  }
  if (request.unitTypeId === undefined) throw invalid('body.listingId', 'Name a listing (or, for staff, a unit type)');
  if (staffOrgId === null)
    throw bookingErrors.raise('staff_only', 'Only staff of the organization book a unit type directly; book a listing');
  const unitType = await unitTypeFacts(tx, request.unitTypeId);
  if (!unitType) throw bookingErrors.raise('unit_type_not_found', `No unit type ${request.unitTypeId} here`);
  const property = await propertyFacts(tx, unitType.propertyId);
  if (!property) throw bookingErrors.raise('unit_type_not_found', `The property of unit type ${request.unitTypeId} is gone`);
  return { orgId: staffOrgId, marketplace: false, terms: undefined, unitType, property };
}

async function placeOf(tx: Tx, terms: ListingTerms): Promise<{ unitType: UnitTypeFacts; property: PropertyFacts }> {
  const unitType = await unitTypeFacts(tx, terms.unitTypeId);
  const property = unitType && (await propertyFacts(tx, unitType.propertyId));
  if (!unitType || !property) throw bookingErrors.raise('listing_not_found', `The unit type of listing ${terms.id} is gone`);
  return { unitType, property };
}

/** Refuses more guests than a unit of the type takes. */
export function checkGuests(unitType: UnitTypeFacts, guests: { adults: number; children: number }): void {
  if (guests.adults > unitType.maxAdults || guests.adults + guests.children > unitType.maxOccupancy) {
    throw bookingErrors.raise(
      'too_many_guests',
      `A ${unitType.name} takes ${unitType.maxOccupancy} guests, at most ${unitType.maxAdults} of them adults; asked for ${guests.adults} adults and ${guests.children} children`,
    );
  }
}

/** Refuses a stay that starts before today in the property's time zone. */
export function checkNotPast(start: string, property: Pick<PropertyFacts, 'timeZone' | 'name'>, now: Date): void {
  const today = todayIn(property.timeZone, now);
  if (isBefore(parseDate(start), today)) {
    throw bookingErrors.raise('date_in_past', `The stay starts on ${start}, and it is already ${today.toString()} at ${property.name}`);
  }
}

/** The first day of a monthly stay or lease request. */
export function startOf(request: Pick<StayRequest, 'rentalMode' | 'startMonth' | 'startDate'>): string {
  if (request.startMonth !== undefined && request.startDate !== undefined)
    throw invalid('body.startDate', 'Give startMonth or startDate, not both');
  if (request.startDate !== undefined) return request.startDate;
  if (request.startMonth !== undefined) return parseMonth(request.startMonth).toString();
  throw invalid('body.startDate', request.rentalMode === 'monthly' ? 'Give startMonth (YYYY-MM) or startDate' : 'Give startDate');
}

function requireListing(terms: ListingTerms | undefined, mode: RentalMode): ListingTerms {
  if (!terms) throw invalid('body.listingId', `A ${mode} stay is priced by its listing: name the listing`);
  return terms;
}

/** Refuses a rental mode the listing does not offer. */
export function checkMode(terms: ListingTerms | undefined, mode: RentalMode): void {
  if (terms && !terms.rentalModes.includes(mode)) {
    throw bookingErrors.raise('mode_not_offered', `Listing ${terms.title} offers ${terms.rentalModes.join(', ')}, not ${mode}`);
  }
}

/** A stay's dates and length in its rental mode. */
export interface StayDates {
  checkIn: string;
  /** Daily stays only: monthly stays and leases end where their quote says. */
  checkOut?: string;
  months?: number;
  termMonths?: number;
}

/** Reads and checks the dates of a request against the listing's limits. */
export function stayDatesOf(request: StayRequest, terms: ListingTerms | undefined): StayDates {
  if (request.rentalMode === 'daily') {
    if (request.checkIn === undefined || request.checkOut === undefined) throw invalid('body.checkIn', 'Give checkIn and checkOut');
    if (!isBefore(parseDate(request.checkIn), parseDate(request.checkOut)))
      throw invalid('body.checkOut', 'Check-out comes after check-in');
    return { checkIn: request.checkIn, checkOut: request.checkOut };
  }
  const listing = requireListing(terms, request.rentalMode);
  const checkIn = startOf(request);
  if (request.rentalMode === 'monthly') {
    const months = request.months ?? listing.monthlyMinStayMonths;
    const max = listing.monthlyMaxStayMonths ?? 60;
    if (months < listing.monthlyMinStayMonths || months > max) {
      throw bookingErrors.raise(
        'term_out_of_range',
        `Monthly stays here last ${listing.monthlyMinStayMonths} to ${max} months, not ${months}`,
      );
    }
    return { checkIn, months };
  }
  const termMonths = request.termMonths ?? listing.minLeaseMonths ?? 12;
  const min = listing.minLeaseMonths ?? 1;
  const max = listing.maxLeaseMonths ?? 600;
  if (termMonths < min || termMonths > max) {
    throw bookingErrors.raise('term_out_of_range', `Leases here run ${min} to ${max} months, not ${termMonths}`);
  }
  return { checkIn, termMonths };
}

/**
 * Checks a new stay against what is rented — the rental mode offered, the guests, the length, a
 * start not before today at the property — and returns its dates.
 */
export function checkNewStay(target: StayTarget, request: StayRequest, now: Date): StayDates {
  checkMode(target.terms, request.rentalMode);
  checkGuests(target.unitType, request);
  const dates = stayDatesOf(request, target.terms);
  checkNotPast(dates.checkIn, target.property, now);
  return dates;
}

/** Prices a new stay of the target: a daily stay by the rate plan the request names, else the unit type's default. */
export function priceNewStay(tx: Tx, target: StayTarget, request: StayRequest, dates: StayDates): Promise<Quote> {
  return priceStay(tx, {
    rentalMode: request.rentalMode,
    dates,
    unitTypeId: target.unitType.id,
    ...(request.rentalMode === 'daily' && request.ratePlanId !== undefined ? { ratePlanId: request.ratePlanId } : {}),
    propertyId: target.property.id,
    terms: target.terms,
    adults: request.adults,
    children: request.children,
  });
}

/** Prices the stay with the pricing module: nights by the unit type's plan, months and leases by the listing's terms. */
export async function priceStay(
  tx: Tx,
  stay: {
    rentalMode: RentalMode;
    dates: StayDates;
    unitTypeId: string;
    ratePlanId?: string;
    propertyId: string;
    terms: ListingTerms | undefined;
    adults: number;
    children: number;
  },
): Promise<Quote> {
  const { dates } = stay;
  if (stay.rentalMode === 'daily') {
    return quoteDailyStay(tx, {
      unitTypeId: stay.unitTypeId,
      ...(stay.ratePlanId === undefined ? {} : { ratePlanId: stay.ratePlanId }),
      checkIn: dates.checkIn,
      checkOut: dates.checkOut ?? parseDate(dates.checkIn).add({ days: 1 }).toString(),
      adults: stay.adults,
      children: stay.children,
    });
  }
  const terms = requireListing(stay.terms, stay.rentalMode);
  if (stay.rentalMode === 'monthly') {
    if (terms.monthlyPrice === null) throw bookingErrors.raise('mode_not_offered', `Listing ${terms.title} has no monthly price`);
    return quoteMonthlyStay(tx, {
      propertyId: stay.propertyId,
      start: dates.checkIn,
      months: dates.months ?? 1,
      monthlyPrice: terms.monthlyPrice,
      securityDeposit: terms.securityDeposit,
      currency: terms.currency,
    });
  }
  if (terms.leaseRate === null) throw bookingErrors.raise('mode_not_offered', `Listing ${terms.title} has no lease rate`);
  return quoteLease(tx, {
    propertyId: stay.propertyId,
    start: dates.checkIn,
    termMonths: dates.termMonths ?? 12,
    leaseRate: terms.leaseRate,
    securityDeposit: terms.securityDeposit,
    currency: terms.currency,
  });
}
