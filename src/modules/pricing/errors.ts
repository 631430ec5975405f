import { defineErrors } from '../../platform/http/errors.ts';

/** The pricing module's errors. Another organization's object, or one outside the caller's scope, is a 404. */
export const pricingErrors = defineErrors('pricing', {
  unit_type_not_found: { status: 404, title: 'The unit type does not exist' },
  property_not_found: { status: 404, title: 'The property does not exist' },
  rate_plan_not_found: { status: 404, title: 'The rate plan does not exist' },
  season_not_found: { status: 404, title: 'The season does not exist' },
  tax_not_found: { status: 404, title: 'The tax does not exist' },
  policy_not_found: { status: 404, title: 'The cancellation policy does not exist' },
  rate_plan_code_taken: { status: 409, title: 'Another rate plan of the unit type has this code' },
  default_required: { status: 409, title: 'A unit type with rate plans keeps a default one: make another plan the default instead' },
  season_overlap: { status: 409, title: 'The season overlaps another season of the plan' },
  policy_name_taken: { status: 409, title: 'Another cancellation policy of the organization has this name' },
  currency_mismatch: { status: 422, title: "The currency is not the property's" },
  no_rate_plan: { status: 422, title: 'The unit type has no rate plan to price the stay with' },
  invalid_stay: { status: 422, title: 'The stay is not valid' },
  invalid_range: { status: 422, title: 'The range of nights is not valid' },
  invalid_restrictions: { status: 422, title: 'A night cannot have a minimum stay above its maximum stay' },
  invalid_tax: { status: 422, title: 'The tax is not valid' },
  stay_restricted: { status: 422, title: 'The stay breaks restrictions of its nights' },
  over_capacity: { status: 422, title: 'The unit type does not take this many guests' },
});
