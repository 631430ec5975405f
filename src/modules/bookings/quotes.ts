import type { Tx } from '../../platform/db/database.ts';
import type { Quote } from '../pricing/index.ts';
import { bookingErrors } from './errors.ts';
import type { QuoteBody } from './schemas.ts';
import { checkNewStay, priceNewStay, resolveTarget } from './stays.ts';

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
  const dates = checkNewStay(target, body, input.now ?? new Date());
  return priceNewStay(tx, target, body, dates);
}
