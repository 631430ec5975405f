import type { Logger } from 'pino';
import type { Database } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { JobDefinition } from '../../platform/jobs/jobs.ts';
import { allOrganizationIds } from '../organizations/index.ts';
import { type BalanceMismatch, insertBalanceCheck, reconcileAccounts } from './queries.ts';

export interface BalanceCheckOutcome {
  organizations: number;
  accountsChecked: number;
  mismatches: (BalanceMismatch & { orgId: string })[];
}

/**
 * Compares every account's kept balance and posting count with the sum and count of its postings,
 * one transaction per organization (row-level security shows each only its own), and records the
 * outcome in `ledger_balance_check`. The trigger keeps them equal, so a mismatch means a change
 * made around the application — it is logged at error level for an operator. Organizations with no
 * ledger account yet are left out.
 */
export async function checkLedgerBalances(
  db: Database,
  logger: Pick<Logger, 'error'>,
  now: Date = new Date(),
): Promise<BalanceCheckOutcome> {
  const outcome: BalanceCheckOutcome = { organizations: 0, accountsChecked: 0, mismatches: [] };
  const failed: string[] = [];
  for (const orgId of await allOrganizationIds(db)) {
    try {
      const checked = await transactionAsTenant(db, orgId, async (tx) => {
        const result = await reconcileAccounts(tx);
        if (result.accounts > 0)
          await insertBalanceCheck(tx, {
            id: uuidv7(),
            orgId,
            checkedAt: now,
            accountsChecked: result.accounts,
            mismatches: result.mismatches,
          });
        return result;
      });
      if (checked.accounts === 0) continue;
      outcome.organizations += 1;
      outcome.accountsChecked += checked.accounts;
      if (checked.mismatches.length > 0) {
        logger.error({ orgId, mismatches: checked.mismatches }, 'ledger balances differ from the sum of their postings');
        outcome.mismatches.push(...checked.mismatches.map((mismatch) => ({ orgId, ...mismatch })));
      }
    } catch (error) {
      logger.error({ orgId, err: error }, 'the ledger balance check of an organization failed');
      failed.push(orgId);
    }
  }
  if (failed.length > 0) throw new Error(`The ledger balance check failed for organizations ${failed.join(', ')}`);
  return outcome;
}

export const ledgerBalanceCheckJob: JobDefinition = {
  name: 'ledger.balances.check.v1',
  schedule: '29 * * * *',
  async handle(_payload, { db, logger }) {
    await checkLedgerBalances(db, logger);
  },
};
