import { defineErrors } from '../../platform/http/errors.ts';

/** The listings module's errors. Another organization's listing, or one outside the caller's scope, is a 404. */
export const listingErrors = defineErrors('listings', {
  not_found: { status: 404, title: 'The listing does not exist' },
  property_unknown: { status: 422, title: 'The property does not exist' },
  unit_type_mismatch: { status: 422, title: 'The unit type is not one of the property’s' },
  unit_mismatch: { status: 422, title: 'The unit is not of the listing’s unit type' },
  price_required: { status: 422, title: 'A monthly price is required to offer monthly stays, and a lease rate to offer leases' },
  invalid_terms: { status: 422, title: 'The terms of the listing contradict each other' },
  cancellation_policy_unknown: { status: 422, title: 'The cancellation policy does not exist' },
  not_submittable: { status: 409, title: 'Only a draft or a rejected listing can be submitted for review' },
  not_pending: { status: 409, title: 'Only a listing pending review can be approved or rejected' },
});
