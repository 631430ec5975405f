import { defineErrors } from '../../platform/http/errors.ts';

export const ledgerErrors = defineErrors('ledger', {
  unbalanced: { status: 422, title: 'The journal entry does not balance: it needs two postings or more that sum to zero in each currency' },
  invalid_amount: { status: 422, title: 'A posting amount is a whole, non-zero number of minor units' },
  invalid_account: { status: 422, title: 'The account does not exist in the chart, or its party does not fit it' },
  invalid_entry: { status: 422, title: 'The journal entry is not valid' },
  entry_not_found: { status: 404, title: 'The journal entry does not exist' },
  account_not_found: { status: 404, title: 'The ledger account does not exist' },
  already_reversed: { status: 409, title: 'The journal entry is already reversed' },
  reversal_not_reversible: { status: 409, title: 'A reversal entry cannot itself be reversed' },
});
