import type { TenureModule } from '../../platform/module.ts';
import { ledgerBalanceCheckJob } from './balance-check.ts';
import { ledgerRoutes } from './routes.ts';

/**
 * The double-entry ledger (docs/ledger.md): the chart of accounts, journal entries of postings that
 * sum to zero in each currency, immutable and corrected only by reversal, the accounts' balances,
 * the trial balance and the hourly balance check.
 *
 * Other modules post in their own transaction with `postEntry` (one entry per source event: a
 * redelivered event posts nothing), cancel with `reverseEntry`, find what a source posted with
 * `entryOfSource`, and read balances with `accountBalance`, `partyAccounts` and `partyPostings`.
 */
export {
  accountCodes,
  accountTypes,
  chart,
  clearingProviders,
  normalSide,
  partyTypes,
  type AccountCode,
  type AccountDefinition,
  type AccountType,
  type Party,
  type PartyType,
} from './chart.ts';
export { accountBalance, partyAccounts, partyPostings, type PartyPosting } from './balances.ts';
export {
  entryOfSource,
  postEntry,
  reverseEntry,
  type AccountKey,
  type EntrySource,
  type NewEntry,
  type PostedEntry,
  type PostedPosting,
  type PostingLine,
  type ReversalInput,
} from './posting.ts';
export { checkLedgerBalances, ledgerBalanceCheckJob, type BalanceCheckOutcome } from './balance-check.ts';
export { ledgerErrors } from './errors.ts';

export const ledgerModule: TenureModule = {
  name: 'ledger',
  routes: ledgerRoutes,
  jobs: [ledgerBalanceCheckJob],
};
