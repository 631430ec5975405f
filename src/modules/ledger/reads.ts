import type { Caller } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { type AccountCode, type AccountType, chart, normalSide, onNormalSide, type PartyType } from './chart.ts';
import { ledgerErrors } from './errors.ts';
import { entriesWithPostings, entryById, type PostedEntry, postManualEntry, reverseEntry } from './posting.ts';
import {
  accountStatement,
  accountWithTotals,
  type AccountWithTotals,
  balanceChecks,
  type BalanceMismatch,
  searchAccounts,
  searchEntries,
  trialBalanceRows,
} from './queries.ts';
import type {
  AccountListQuery,
  AccountReply,
  BalanceCheckQuery,
  BalanceCheckReply,
  EntryListQuery,
  EntryReply,
  ManualEntryBody,
  StatementLineReply,
  StatementQuery,
  TrialBalanceQuery,
  TrialBalanceReply,
} from './schemas.ts';
import { reversalsOf } from './store.ts';

/** The routes' use cases: the ledger as the API shows it, money as `{ amount, currency }`. */

const money = (amount: number, currency: string) => ({ amount, currency });
const sideOf = (amount: number) => (amount > 0 ? ('debit' as const) : ('credit' as const));
const partyOf = (row: { partyType: string | null; partyId: string | null }) =>
  row.partyType === null || row.partyId === null ? null : { type: row.partyType as PartyType, id: row.partyId };

function accountReplyOf(row: AccountWithTotals): AccountReply {
  const type = row.type as AccountType;
  return {
    id: row.id,
    code: row.code as AccountCode,
    name: row.name,
    type,
    normalSide: normalSide(type),
    currency: row.currency,
    party: partyOf(row),
    balance: money(onNormalSide(type, row.balance), row.currency),
    debits: money(row.debits, row.currency),
    credits: money(row.credits, row.currency),
    postingCount: row.postingCount,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listAccounts(db: Queryable, query: AccountListQuery) {
  const { page: _page, pageSize: _pageSize, ...filter } = query;
  const { rows, total } = await searchAccounts(db, filter, offsetOf(query));
  return { data: rows.map(accountReplyOf), total };
}

export async function getAccount(db: Queryable, accountId: string): Promise<AccountReply> {
  const row = await accountWithTotals(db, accountId);
  if (!row) throw ledgerErrors.raise('account_not_found', `No ledger account ${accountId} here`);
  return accountReplyOf(row);
}

/** The account's statement: its postings newest first, each with the balance after it. */
export async function getStatement(db: Queryable, accountId: string, query: StatementQuery) {
  const account = await getAccount(db, accountId);
  const { rows, total } = await accountStatement(db, accountId, offsetOf(query));
  const data: StatementLineReply[] = rows.map((row) => ({
    id: row.id,
    entryId: row.entryId,
    amount: money(row.amount, row.currency),
    side: sideOf(row.amount),
    balanceAfter: money(onNormalSide(account.type, row.balanceAfter), row.currency),
    description: row.description,
    source: { type: row.sourceType, id: row.sourceId, event: row.sourceEvent },
    reversesEntryId: row.reversesEntryId,
    effectiveAt: row.effectiveAt.toISOString(),
    createdAt: row.createdAt.toISOString(),
  }));
  return { data, total };
}

function entryReplyOf(entry: PostedEntry, reversedBy: string | null): EntryReply {
  return {
    id: entry.id,
    description: entry.description,
    source: entry.source,
    effectiveAt: entry.effectiveAt.toISOString(),
    createdAt: entry.createdAt.toISOString(),
    createdBy: entry.createdBy,
    reversesEntryId: entry.reversesEntryId,
    reversedByEntryId: reversedBy,
    metadata: entry.metadata,
    postings: entry.postings.map((posting) => ({
      id: posting.id,
      accountId: posting.accountId,
      accountCode: posting.code,
      accountName: chart[posting.code].name,
      party: posting.party,
      amount: money(posting.amount, posting.currency),
      side: sideOf(posting.amount),
      balanceAfter: money(onNormalSide(posting.accountType, posting.balanceAfter), posting.currency),
    })),
  };
}

async function entryReplies(db: Queryable, orgId: string, entries: PostedEntry[]): Promise<EntryReply[]> {
  const reversals = await reversalsOf(
    db,
    orgId,
    entries.map((entry) => entry.id),
  );
  return entries.map((entry) => entryReplyOf(entry, reversals.get(entry.id) ?? null));
}

export async function listEntries(db: Queryable, orgId: string, query: EntryListQuery) {
  const filter = {
    sourceType: query.sourceType,
    sourceId: query.sourceId,
    from: query.from === undefined ? undefined : new Date(query.from),
    to: query.to === undefined ? undefined : new Date(query.to),
  };
  const { rows, total } = await searchEntries(db, filter, offsetOf(query));
  return { data: await entryReplies(db, orgId, await entriesWithPostings(db, orgId, rows)), total };
}

export async function getEntry(db: Queryable, orgId: string, entryId: string): Promise<EntryReply> {
  const entry = await entryById(db, orgId, entryId);
  if (!entry) throw ledgerErrors.raise('entry_not_found', `No journal entry ${entryId} here`);
  const [reply] = await entryReplies(db, orgId, [entry]);
  return reply!;
}

/** A staff member's journal entry: postings by account code, currency and party. */
export async function postStaffEntry(tx: Tx, caller: Caller, orgId: string, body: ManualEntryBody): Promise<EntryReply> {
  const posted = await postManualEntry(tx, caller, {
    orgId,
    description: body.description,
    effectiveAt: body.effectiveAt === undefined ? undefined : new Date(body.effectiveAt),
    metadata: body.metadata,
    postings: body.postings.map((line) => ({
      account: { code: line.accountCode, currency: line.currency, party: line.party ?? null },
      amount: line.amount,
    })),
  });
  return entryReplyOf(posted, null);
}

export async function reverseStaffEntry(tx: Tx, caller: Caller, input: { orgId: string; entryId: string; reason: string }) {
  return entryReplyOf(await reverseEntry(tx, caller, input), null);
}

/** Per account the debits, credits and balance summed from the postings; per currency, whether debits equal credits. */
export async function trialBalance(db: Queryable, query: TrialBalanceQuery): Promise<TrialBalanceReply> {
  const asOf = query.asOf === undefined ? undefined : new Date(query.asOf);
  const rows = await trialBalanceRows(db, { currency: query.currency, asOf });
  const totals = new Map<string, { debits: number; credits: number }>();
  for (const row of rows) {
    const total = totals.get(row.currency) ?? { debits: 0, credits: 0 };
    totals.set(row.currency, { debits: total.debits + row.debits, credits: total.credits + row.credits });
  }
  const totalsReply = [...totals].map(([currency, { debits, credits }]) => ({
    currency,
    debits: money(debits, currency),
    credits: money(credits, currency),
    balanced: debits === credits,
  }));
  return {
    asOf: asOf?.toISOString() ?? null,
    accounts: rows.map((row) => {
      const type = row.type as AccountType;
      return {
        id: row.id,
        code: row.code as AccountCode,
        name: row.name,
        type,
        currency: row.currency,
        party: partyOf(row),
        debits: money(row.debits, row.currency),
        credits: money(row.credits, row.currency),
        balance: money(onNormalSide(type, row.debits - row.credits), row.currency),
      };
    }),
    totals: totalsReply,
    balanced: totalsReply.every((total) => total.balanced),
  };
}

export async function listBalanceChecks(db: Queryable, query: BalanceCheckQuery) {
  const { rows, total } = await balanceChecks(db, offsetOf(query));
  const data: BalanceCheckReply[] = rows.map((row) => {
    const mismatches = row.mismatches as unknown as BalanceMismatch[];
    return {
      id: row.id,
      checkedAt: row.checkedAt.toISOString(),
      accountsChecked: row.accountsChecked,
      ok: mismatches.length === 0,
      mismatches,
    };
  });
  return { data, total };
}
