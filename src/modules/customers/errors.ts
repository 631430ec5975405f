import { defineErrors } from '../../platform/http/errors.ts';

export const customerErrors = defineErrors('customers', {
  not_found: { status: 404, title: 'The customer does not exist' },
  merged: { status: 409, title: 'The customer was merged into another record' },
  merge_self: { status: 422, title: 'A customer cannot be merged into itself' },
  already_blacklisted: { status: 409, title: 'The customer is already blacklisted' },
  not_blacklisted: { status: 409, title: 'The customer is not blacklisted' },
  invalid_contact: { status: 422, title: 'The e-mail address or phone number is not valid' },
  staff_only: { status: 403, title: 'Only staff may do this' },
  staff_only_field: { status: 403, title: 'Only staff may change this field' },
});
