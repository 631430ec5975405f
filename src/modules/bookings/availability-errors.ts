import { defineErrors } from '../../platform/http/errors.ts';

/** Availability and blocks (the booking lifecycle's errors are in errors.ts). */
export const availabilityErrors = defineErrors('availability', {
  listing_not_found: { status: 404, title: 'The listing does not exist' },
  unit_type_not_found: { status: 404, title: 'The unit type does not exist' },
  unit_not_found: { status: 404, title: 'The unit does not exist' },
  block_not_found: { status: 404, title: 'The block does not exist' },
  invalid_range: { status: 422, title: 'The range of nights is not valid' },
  unit_unavailable: { status: 409, title: 'The unit is already occupied or blocked on some of these nights' },
  block_released: { status: 409, title: 'The block has already been released' },
});
