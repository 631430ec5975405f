import { type Expression, type SqlBool, sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows } from '../../platform/db/queries.ts';
import type { AccountRow, EntryRow } from './store.ts';

/** The ledger's SQL for its reports: account lists and statements, the journal, the trial balance, the balance checks. */

export interface Paging {
  limit: number;
  offset: number;
}

export interface AccountFilter {
  id?: string;
  code?: string;
  type?: string;
  currency?: string;
  partyType?: string;
  partyId?: string;
}

/** An account with the totals of its postings: debits, and credits as a positive number. */
export type AccountWithTotals = AccountRow & { debits: number; credits: number };

function accountConditions(filter: AccountFilter): Expression<SqlBool>[] {
  const list: Expression<SqlBool>[] = [];
  if (filter.id !== undefined) list.push(sql<SqlBool>`a.id = ${filter.id}`);
  if (filter.code !== undefined) list.push(sql<SqlBool>`a.code = ${filter.code}`);
  if (filter.type !== undefined) list.push(sql<SqlBool>`a.type = ${filter.type}`);
  if (filter.currency !== undefined) list.push(sql<SqlBool>`a.currency = ${filter.currency}`);
  if (filter.partyType !== undefined) list.push(sql<SqlBool>`a.party_type = ${filter.partyType}`);
  if (filter.partyId !== undefined) list.push(sql<SqlBool>`a.party_id = ${filter.partyId}`);
  return list;
}

export async function searchAccounts(
  db: Queryable,
  filter: AccountFilter,
  paging: Paging,
): Promise<{ rows: AccountWithTotals[]; total: number }> {
  const where = (eb: { and: (list: Expression<SqlBool>[]) => Expression<SqlBool> }) => eb.and(accountConditions(filter));
  const rows = await db
    .selectFrom('ledgerAccount as a')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('ledgerPosting as p')
          .select([
            sql<number>`coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::bigint`.as('debits'),
            sql<number>`coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)::bigint`.as('credits'),
          ])
          .whereRef('p.orgId', '=', 'a.orgId')
          .whereRef('p.accountId', '=', 'a.id')
          .as('t'),
      (join) => join.onTrue(),
    )
    .selectAll('a')
    .select(['t.debits', 't.credits'])
    .where(where)
    .orderBy('a.code')
    .orderBy('a.currency')
    .orderBy(sql`a.party_type NULLS FIRST`)
    .orderBy(sql`a.party_id NULLS FIRST`)
    .orderBy('a.id')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  const { total } = await db
    .selectFrom('ledgerAccount as a')
    .select((eb) => eb.fn.countAll<number>().as('total'))
    .where(where)
    .executeTakeFirstOrThrow();
  return { rows, total };
}

export async function accountWithTotals(db: Queryable, accountId: string): Promise<AccountWithTotals | undefined> {
  const { rows } = await searchAccounts(db, { id: accountId }, { limit: 1, offset: 0 });
  return rows[0];
}

export interface StatementRow {
  id: string;
  entryId: string;
  amount: number;
  currency: string;
  balanceAfter: number;
  createdAt: Date;
  description: string;
  sourceType: string;
  sourceId: string;
  sourceEvent: string;
  effectiveAt: Date;
  reversesEntryId: string | null;
}

/** An account's postings, newest first, with their entries. */
export async function accountStatement(db: Queryable, accountId: string, paging: Paging): Promise<{ rows: StatementRow[]; total: number }> {
  const rows = await db
    .selectFrom('ledgerPosting as p')
    .innerJoin('journalEntry as e', (join) => join.onRef('e.orgId', '=', 'p.orgId').onRef('e.id', '=', 'p.entryId'))
    .select([
      'p.id',
      'p.entryId',
      'p.amount',
      'p.currency',
      'p.balanceAfter',
      'p.createdAt',
      'e.description',
      'e.sourceType',
      'e.sourceId',
      'e.sourceEvent',
      'e.effectiveAt',
      'e.reversesEntryId',
    ])
    .where('p.accountId', '=', accountId)
    .orderBy('p.createdAt', 'desc')
    .orderBy('p.id', 'desc')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: await countRows(db.selectFrom('ledgerPosting').where('accountId', '=', accountId)) };
}

/** The postings on every account of a party, newest first, with their entries. */
export async function partyPostingRows(db: Queryable, orgId: string, party: { type: string; id: string }, paging: Paging) {
  const base = db
    .selectFrom('ledgerPosting as p')
    .innerJoin('ledgerAccount as a', (join) => join.onRef('a.orgId', '=', 'p.orgId').onRef('a.id', '=', 'p.accountId'))
    .where('a.orgId', '=', orgId)
    .where('a.partyType', '=', party.type)
    .where('a.partyId', '=', party.id);
  const rows = await base
    .innerJoin('journalEntry as e', (join) => join.onRef('e.orgId', '=', 'p.orgId').onRef('e.id', '=', 'p.entryId'))
    .select([
      'p.id',
      'p.entryId',
      'p.accountId',
      'a.code',
      'p.currency',
      'p.amount',
      'p.balanceAfter',
      'e.description',
      'e.sourceType',
      'e.sourceId',
      'e.sourceEvent',
      'e.effectiveAt',
      'p.createdAt',
    ])
    .orderBy('p.createdAt', 'desc')
    .orderBy('p.id', 'desc')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  const { total } = await base.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  return { rows, total };
}

export interface EntryFilter {
  sourceType?: string;
  sourceId?: string;
  /** Effective at or after. */
  from?: Date;
  /** Effective before. */
  to?: Date;
}

/** Journal entries, the latest posted first. */
export async function searchEntries(db: Queryable, filter: EntryFilter, paging: Paging): Promise<{ rows: EntryRow[]; total: number }> {
  const where = (eb: { and: (list: Expression<SqlBool>[]) => Expression<SqlBool> }) => {
    const list: Expression<SqlBool>[] = [];
    if (filter.sourceType !== undefined) list.push(sql<SqlBool>`source_type = ${filter.sourceType}`);
    if (filter.sourceId !== undefined) list.push(sql<SqlBool>`source_id = ${filter.sourceId}`);
    if (filter.from !== undefined) list.push(sql<SqlBool>`effective_at >= ${filter.from}`);
    if (filter.to !== undefined) list.push(sql<SqlBool>`effective_at < ${filter.to}`);
    return eb.and(list);
  };
  const rows = await db
    .selectFrom('journalEntry')
    .selectAll()
    .where(where)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: await countRows(db.selectFrom('journalEntry').where(where)) };
}

export interface TrialBalanceRow {
  id: string;
  code: string;
  name: string;
  type: string;
  currency: string;
  partyType: string | null;
  partyId: string | null;
  debits: number;
  credits: number;
}

/**
 * Every account with postings, and the totals of its debits and credits, summed from the postings
 * themselves (not the kept balances): of entries effective at or before `asOf` when given.
 */
export async function trialBalanceRows(db: Queryable, filter: { currency?: string; asOf?: Date }): Promise<TrialBalanceRow[]> {
  const { rows } = await sql<TrialBalanceRow>`
    SELECT a.id, a.code, a.name, a.type, a.currency, a.party_type, a.party_id, t.debits, t.credits
    FROM (
      SELECT p.account_id,
             coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::bigint AS debits,
             coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)::bigint AS credits
      FROM ledger_posting p
      ${filter.asOf === undefined ? sql`` : sql`JOIN journal_entry e ON e.org_id = p.org_id AND e.id = p.entry_id AND e.effective_at <= ${filter.asOf}`}
      WHERE ${filter.currency === undefined ? sql`true` : sql`p.currency = ${filter.currency}`}
      GROUP BY p.account_id
    ) t
    JOIN ledger_account a ON a.id = t.account_id
    ORDER BY a.currency, a.code, a.party_type NULLS FIRST, a.party_id NULLS FIRST, a.id
  `.execute(db);
  return rows;
}

export interface BalanceMismatch {
  accountId: string;
  code: string;
  currency: string;
  /** The account's kept balance and posting count. */
  kept: number;
  keptCount: number;
  /** The sum and count of its postings. */
  posted: number;
  postedCount: number;
}

/** Every account of the organization, its kept balance and count next to its postings' sum and count. */
export async function reconcileAccounts(tx: Tx): Promise<{ accounts: number; mismatches: BalanceMismatch[] }> {
  const { rows } = await sql<BalanceMismatch & { matches: boolean }>`
    SELECT a.id AS account_id, a.code, a.currency, a.balance AS kept, a.posting_count AS kept_count,
           coalesce(p.total, 0)::bigint AS posted, coalesce(p.count, 0)::bigint AS posted_count,
           a.balance = coalesce(p.total, 0) AND a.posting_count = coalesce(p.count, 0) AS matches
    FROM ledger_account a
    LEFT JOIN (SELECT account_id, sum(amount) AS total, count(*) AS count FROM ledger_posting GROUP BY account_id) p ON p.account_id = a.id
    ORDER BY a.code, a.currency, a.id
  `.execute(tx);
  return {
    accounts: rows.length,
    mismatches: rows.filter((row) => !row.matches).map(({ matches: _matches, ...mismatch }) => mismatch),
  };
}

export async function insertBalanceCheck(
  tx: Tx,
  check: { id: string; orgId: string; checkedAt: Date; accountsChecked: number; mismatches: BalanceMismatch[] },
): Promise<void> {
  await tx
    .insertInto('ledgerBalanceCheck')
    .values({ ...check, mismatches: JSON.stringify(check.mismatches) })
    .execute();
}

export async function balanceChecks(db: Queryable, paging: Paging) {
  const rows = await db
    .selectFrom('ledgerBalanceCheck')
    .selectAll()
    .orderBy('checkedAt', 'desc')
    .orderBy('id', 'desc')
    .limit(paging.limit)
    .offset(paging.offset)
    .execute();
  return { rows, total: await countRows(db.selectFrom('ledgerBalanceCheck')) };
}
