import type { TenureModule } from '../../platform/module.ts';
import { pricingRoutes } from './routes.ts';

/**
 * Pricing: rate plans per unit type (base, weekday and seasonal prices, fees, length-of-stay
 * discounts), per-night prices and restrictions, the properties' taxes, cancellation policies, and
 * the quotes built from them (docs/pricing.md). Publishes `rate_plan.created`, `rate_plan.updated`
 * and `rate_plan.deleted` ({ ratePlanId, unitTypeId, isDefault }) whenever a plan's prices change.
 */
export type {
  CancellationPolicySnapshot,
  CancellationPresetName,
  CancellationRefund,
  CancellationRules,
  CancellationWindow,
  Quote,
  QuoteLine,
  QuoteTotals,
  RateNight,
  RentalMode,
} from './types.ts';
export { cancellationPresetNames, rentalModes } from './types.ts';
export { quoteDailyStay, quoteMonthlyStay, quoteLease, checkInInstant } from './quote.ts';
export { rateNights, fromPrice } from './nights.ts';
export { cancellationPolicySnapshot, cancellationRefund, cancellationPresets } from './cancellation.ts';
export { pricingErrors } from './errors.ts';
export { createPolicyFixture, createRatePlanFixture, createTaxFixture, type RatePlanFixture } from './test-support.ts';

export const pricingModule: TenureModule = {
  name: 'pricing',
  routes: pricingRoutes,
};
