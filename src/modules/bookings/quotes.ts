import type { Tx } from '../../platform/db/database.ts';
import type { Quote } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';
import type { QuoteBody } from './schemas.ts';
import { checkGuests, checkMode, checkNotPast, priceStay, resolveTarget, stayDatesOf } from './stays.ts';

/**
 * POST /v1/quotes: what a stay would cost, priced exactly as a booking of it would be. Anyone may
 * quote an approved, active listing; staff also their organization's other listings and unit types.
 */
export async function quoteStay(tx: Tx, input: { body: QuoteBody; staffOrgId: string | null; now?: Date }): Promise<Quote> {
  const { body } = input;
  const target = await resolveTarget(tx, body, input.staffOrgId);
  if (target.marketplace && body.rentalMode === 'daily' && body.ratePlanId !== undefined) {
    throw bookingErrors.raise('staff_only', 'Only staff of the organization quote a rate plan of their choice');
  }
  checkMode(target.terms, body.rentalMode);
  checkGuests(target.unitType, body);
  const dates = stayDatesOf(body, target.terms);
  checkNotPast(dates.checkIn, target.property, input.now ?? new Date());
  return priceStay(tx, {
    rentalMode: body.rentalMode,
    dates,
    unitTypeId: target.unitType.id,
    ...(body.rentalMode === 'daily' && body.ratePlanId !== undefined ? { ratePlanId: body.ratePlanId } : {}),
    propertyId: target.property.id,
    terms: target.terms,
    adults: body.adults,
    children: body.children,
  });
}
