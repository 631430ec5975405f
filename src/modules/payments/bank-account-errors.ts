import { defineErrors } from '../../platform/http/errors.ts';

export const bankAccountErrors = defineErrors('bank_accounts', {
  invalid_routing_number: { status: 422, title: 'The routing number or bank code is not valid' },
  invalid_account_number: { status: 422, title: 'The account number is not valid' },
  holder_not_found: { status: 404, title: 'The holder of the bank account does not exist' },
  not_found: { status: 404, title: 'The bank account does not exist' },
  duplicate: { status: 409, title: 'The holder already has this bank account' },
  inactive: { status: 409, title: 'The bank account is deactivated' },
});
