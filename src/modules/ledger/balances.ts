import type { Queryable } from '../../platform/db/database.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { type AccountCode, chart, type Party } from './chart.ts';
import { partyPostingRows } from './queries.ts';
import { accountsByKey, accountsOfParty, openAccounts } from './store.ts';
import { type AccountKey, checkAccountKey, type EntrySource } from './validation.ts';

/** Balances as other modules read them: debits minus credits, whatever the account's type. */

/**
 * Debits minus credits of the account, 0 when it has never been used. With `lock`, the account's
 * row is opened if needed and locked until the transaction ends: read this way before spending
 * from an account, its balance cannot change underneath.
 */
export async function accountBalance(db: Queryable, orgId: string, key: AccountKey, options: { lock?: boolean } = {}): Promise<number> {
  const checked = checkAccountKey(key);
  if (options.lock) {
    const { code } = checked;
    await openAccounts(db, orgId, [{ ...checked, id: uuidv7(), name: chart[code].name, type: chart[code].type }]);
  }
  const [account] = await accountsByKey(db, orgId, [checked], { lock: options.lock ?? false });
  return account?.balance ?? 0;
}

/** Every account of a party with its balance (debits − credits). */
export async function partyAccounts(
  db: Queryable,
  orgId: string,
  party: Party,
): Promise<{ code: AccountCode; currency: string; balance: number }[]> {
  const rows = await accountsOfParty(db, orgId, party);
  return rows.map((row) => ({ code: row.code as AccountCode, currency: row.currency, balance: row.balance }));
}

export interface PartyPosting {
  id: string;
  entryId: string;
  accountId: string;
  code: AccountCode;
  currency: string;
  /** Debit positive, credit negative. */
  amount: number;
  /** The account's debits minus credits just after it. */
  balanceAfter: number;
  description: string;
  sourceType: EntrySource['type'];
  sourceId: string;
  sourceEvent: string;
  effectiveAt: Date;
  createdAt: Date;
}

/** The postings on every account of a party, newest first, with their entries: a party's statement. */
export async function partyPostings(
  db: Queryable,
  orgId: string,
  party: Party,
  page: { limit: number; offset: number },
): Promise<{ data: PartyPosting[]; total: number }> {
  const { rows, total } = await partyPostingRows(db, orgId, party, page);
  return { data: rows.map((row) => ({ ...row, code: row.code as AccountCode })), total };
}
