import { type Selectable, sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { JournalEntry, LedgerAccount } from '../../platform/db/schema.ts';

/**
 * The ledger's SQL on the posting path: entries, accounts and postings, in the organization the
 * transaction acts for. Entries and postings are only ever inserted (the database refuses the rest).
 */

export type EntryRow = Selectable<JournalEntry>;
export type AccountRow = Selectable<LedgerAccount>;

/** An account as a posting names it: its id and the key it was opened under. */
export interface AccountKeyRow {
  id: string;
  code: string;
  currency: string;
  partyType: string | null;
  partyId: string | null;
}

export interface WantedAccount {
  /** The id the account gets if this opens it. */
  id: string;
  code: string;
  name: string;
  type: string;
  currency: string;
  partyType: string | null;
  partyId: string | null;
}

export interface SourceKey {
  type: string;
  id: string;
  event: string;
}

export type NewEntryRow = Pick<
  EntryRow,
  | 'id'
  | 'orgId'
  | 'description'
  | 'sourceType'
  | 'sourceId'
  | 'sourceEvent'
  | 'reversesEntryId'
  | 'effectiveAt'
  | 'createdBy'
  | 'correlationId'
> & { metadata: string };

/** Inserts the entry unless its source event is already recorded: undefined then, and nothing is written. */
export function insertEntry(tx: Tx, entry: NewEntryRow): Promise<EntryRow | undefined> {
  return tx
    .insertInto('journalEntry')
    .values(entry)
    .onConflict((conflict) => conflict.columns(['orgId', 'sourceType', 'sourceId', 'sourceEvent']).doNothing())
    .returningAll()
    .executeTakeFirst();
}

export function accountKey(account: { code: string; currency: string; partyType: string | null; partyId: string | null }): string {
  return `${account.code}|${account.currency}|${account.partyType ?? ''}|${account.partyId ?? ''}`;
}

/**
 * Opens the accounts not opened yet and answers every wanted account's id, in one statement: the
 * insert skips keys that exist (the NULLS NOT DISTINCT unique key), and the rows it skipped are read
 * in the same statement, each through the unique index. A key opened by a transaction that
 * committed while this statement ran is visible to neither half: it is read again, afterwards.
 */
export async function openAccounts(db: Queryable, orgId: string, wanted: WantedAccount[]): Promise<AccountKeyRow[]> {
  const values = sql.join(
    wanted.map(
      (w) =>
        sql`(${w.id}::uuid, ${w.code}::text, ${w.name}::text, ${w.type}::text, ${w.currency}::char(3), ${w.partyType}::text, ${w.partyId}::text)`,
    ),
  );
  const { rows } = await sql<AccountKeyRow>`
    WITH wanted (id, code, name, type, currency, party_type, party_id) AS (VALUES ${values}),
    opened AS (
      INSERT INTO ledger_account (id, org_id, code, name, type, currency, party_type, party_id)
      SELECT id, ${orgId}::uuid, code, name, type, currency, party_type, party_id FROM wanted
      ON CONFLICT (org_id, code, currency, party_type, party_id) DO NOTHING
      RETURNING id, code, currency, party_type, party_id
    )
    SELECT id, code, currency, party_type, party_id FROM opened
    UNION ALL
    SELECT existing.id, existing.code, existing.currency, existing.party_type, existing.party_id
    FROM wanted w
    CROSS JOIN LATERAL (
      SELECT a.id, a.code, a.currency, a.party_type, a.party_id FROM ledger_account a
      WHERE a.org_id = ${orgId}::uuid AND a.code = w.code AND a.currency = w.currency AND a.party_type = w.party_type AND a.party_id = w.party_id
      UNION ALL
      SELECT a.id, a.code, a.currency, a.party_type, a.party_id FROM ledger_account a
      WHERE w.party_type IS NULL AND a.org_id = ${orgId}::uuid AND a.code = w.code AND a.currency = w.currency
        AND a.party_type IS NULL AND a.party_id IS NULL
    ) existing
  `.execute(db);
  if (rows.length >= wanted.length) return rows;
  const found = new Set(rows.map(accountKey));
  const missing = wanted.filter((w) => !found.has(accountKey(w)));
  return [...rows, ...(await accountsByKey(db, orgId, missing))];
}

export async function accountsByKey(
  db: Queryable,
  orgId: string,
  keys: Pick<WantedAccount, 'code' | 'currency' | 'partyType' | 'partyId'>[],
  options: { lock?: boolean } = {},
): Promise<AccountRow[]> {
  if (keys.length === 0) return [];
  const query = db
    .selectFrom('ledgerAccount')
    .selectAll()
    .where('orgId', '=', orgId)
    .where((eb) =>
      eb.or(
        keys.map((key) =>
          eb.and([
            eb('code', '=', key.code),
            eb('currency', '=', key.currency),
            key.partyType === null ? eb('partyType', 'is', null) : eb('partyType', '=', key.partyType),
            key.partyId === null ? eb('partyId', 'is', null) : eb('partyId', '=', key.partyId),
          ]),
        ),
      ),
    )
    .orderBy('id');
  return (options.lock ? query.forUpdate() : query).execute();
}

export interface NewPostingRow {
  id: string;
  orgId: string;
  entryId: string;
  accountId: string;
  amount: number;
  currency: string;
}

/**
 * Inserts an entry's postings in one statement, in the order given (callers sort them by account
 * id); the trigger moves each account's balance and answers the balance after each posting.
 */
export function insertPostings(tx: Tx, postings: NewPostingRow[]): Promise<{ id: string; balanceAfter: number }[]> {
  return tx.insertInto('ledgerPosting').values(postings).returning(['id', 'balanceAfter']).execute();
}

export function entryRow(db: Queryable, orgId: string, entryId: string, options: { lock?: boolean } = {}): Promise<EntryRow | undefined> {
  const query = db.selectFrom('journalEntry').selectAll().where('orgId', '=', orgId).where('id', '=', entryId);
  return (options.lock ? query.forUpdate() : query).executeTakeFirst();
}

export function entryOfSourceRow(db: Queryable, orgId: string, source: SourceKey): Promise<EntryRow | undefined> {
  return db
    .selectFrom('journalEntry')
    .selectAll()
    .where('orgId', '=', orgId)
    .where('sourceType', '=', source.type)
    .where('sourceId', '=', source.id)
    .where('sourceEvent', '=', source.event)
    .executeTakeFirst();
}

/** The entries that reverse these entries: reversed entry id → reversal entry id. */
export async function reversalsOf(db: Queryable, orgId: string, entryIds: string[]): Promise<Map<string, string>> {
  if (entryIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('journalEntry')
    .select(['id', 'reversesEntryId'])
    .where('orgId', '=', orgId)
    .where('reversesEntryId', 'in', entryIds)
    .execute();
  return new Map(rows.map((row) => [row.reversesEntryId!, row.id]));
}

export interface PostingWithAccount {
  id: string;
  entryId: string;
  accountId: string;
  amount: number;
  currency: string;
  balanceAfter: number;
  createdAt: Date;
  code: string;
  name: string;
  type: string;
  partyType: string | null;
  partyId: string | null;
}

/** The postings of these entries with their accounts, each entry's in the order they were inserted (by account id). */
export function postingsOfEntries(db: Queryable, orgId: string, entryIds: string[]): Promise<PostingWithAccount[]> {
  if (entryIds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('ledgerPosting as p')
    .innerJoin('ledgerAccount as a', (join) => join.onRef('a.orgId', '=', 'p.orgId').onRef('a.id', '=', 'p.accountId'))
    .select([
      'p.id',
      'p.entryId',
      'p.accountId',
      'p.amount',
      'p.currency',
      'p.balanceAfter',
      'p.createdAt',
      'a.code',
      'a.name',
      'a.type',
      'a.partyType',
      'a.partyId',
    ])
    .where('p.orgId', '=', orgId)
    .where('p.entryId', 'in', entryIds)
    .orderBy('p.entryId')
    .orderBy('p.accountId')
    .orderBy('p.id')
    .execute();
}

export function accountsOfParty(db: Queryable, orgId: string, party: { type: string; id: string }) {
  return db
    .selectFrom('ledgerAccount')
    .select(['code', 'currency', 'balance'])
    .where('orgId', '=', orgId)
    .where('partyType', '=', party.type)
    .where('partyId', '=', party.id)
    .orderBy('code')
    .orderBy('currency')
    .execute();
}
