import { defineErrors } from '../../platform/http/errors.ts';

export const invoiceErrors = defineErrors('invoices', {
  not_found: { status: 404, title: 'The invoice does not exist' },
  customer_not_found: { status: 404, title: 'The customer does not exist' },
  property_not_found: { status: 404, title: 'The property does not exist' },
  booking_not_found: { status: 404, title: 'The booking does not exist' },
  invalid_due_date: { status: 422, title: 'The due date is before the issue date' },
  paid: { status: 409, title: 'The invoice has payments recorded against it: it cannot be voided' },
  already_void: { status: 409, title: 'The invoice is already void' },
});
