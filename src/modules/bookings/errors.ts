import { defineErrors } from '../../platform/http/errors.ts';

/** The booking lifecycle's errors (availability and blocks have theirs in availability-errors.ts). */
export const bookingErrors = defineErrors('booking', {
  not_found: { status: 404, title: 'The booking does not exist' },
  listing_not_found: { status: 404, title: 'The listing does not exist or is not open for bookings' },
  unit_type_not_found: { status: 404, title: 'The unit type does not exist' },
  unit_not_found: { status: 404, title: 'The unit does not exist' },
  customer_not_found: { status: 404, title: 'The customer does not exist' },
  customer_required: { status: 422, title: 'Name the customer: customerId, or customer to create one' },
  customer_blacklisted: { status: 422, title: 'The customer may not book' },
  staff_only: { status: 403, title: 'Only staff of the organization may set this' },
  mode_not_offered: { status: 422, title: 'The listing does not offer this rental mode' },
  term_out_of_range: { status: 422, title: 'The length of the stay is outside what the listing allows' },
  too_many_guests: { status: 422, title: 'More guests than the unit takes' },
  date_in_past: { status: 422, title: 'The stay starts before today at the property' },
  unit_mismatch: { status: 422, title: 'The unit does not fit the booking' },
  dates_unavailable: { status: 409, title: 'The unit is not available on these dates' },
  illegal_transition: { status: 409, title: 'The booking cannot make this transition from its current status' },
  not_changeable: { status: 409, title: 'The booking can no longer be changed' },
  version_conflict: { status: 409, title: 'The booking has changed since you read it' },
  check_in_not_open: { status: 409, title: 'Check-in is possible from the check-in date until the check-out date' },
  unit_out_of_order: { status: 409, title: 'The unit is out of order' },
  no_show_too_early: { status: 409, title: 'A no-show is recorded on or after the check-in date' },
  reference_exhausted: { status: 503, title: 'No free booking reference was found; try again' },
});
