import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { publish } from '../../platform/events/outbox.ts';
import { uuidPattern, uuidv7 } from '../../platform/ids.ts';
import { type AccountCode, type AccountType, chart, type Party, type PartyType } from './chart.ts';
import { ledgerErrors } from './errors.ts';
import {
  accountKey,
  type AccountKeyRow,
  type EntryRow,
  entryOfSourceRow,
  entryRow,
  insertEntry,
  insertPostings,
  accountsByKey,
  openAccounts,
  type PostingWithAccount,
  postingsOfEntries,
  reversalsOf,
} from './store.ts';
import {
  type AccountKey,
  checkAccountKey,
  checkAmount,
  checkBalanced,
  checkDescription,
  checkEffectiveAt,
  checkMetadata,
  checkSource,
  type CheckedKey,
  type EntrySource,
} from './validation.ts';

export type { AccountKey, EntrySource } from './validation.ts';

/** One line of an entry: minor units, a debit positive and a credit negative. */
export interface PostingLine {
  account: AccountKey;
  amount: number;
}

export interface NewEntry {
  orgId: string;
  description: string;
  /** What the entry records; one entry per source event in an organization. */
  source: EntrySource;
  /** When the money moved; the posting's time unless given. */
  effectiveAt?: Date;
  postings: PostingLine[];
  metadata?: Record<string, unknown>;
}

export interface PostedPosting {
  id: string;
  accountId: string;
  code: AccountCode;
  accountType: AccountType;
  currency: string;
  party: Party | null;
  amount: number;
  /** The account's debits minus credits just after this posting. */
  balanceAfter: number;
}

export interface PostedEntry {
  id: string;
  orgId: string;
  description: string;
  source: EntrySource;
  effectiveAt: Date;
  reversesEntryId: string | null;
  metadata: Record<string, unknown>;
  createdBy: string | null;
  createdAt: Date;
  /** In the order they were inserted: by account id. */
  postings: PostedPosting[];
}

const source = 'ledger';

function partyOf(row: { partyType: string | null; partyId: string | null }): Party | null {
  return row.partyType === null || row.partyId === null ? null : { type: row.partyType as PartyType, id: row.partyId };
}

function entryOf(row: EntryRow, postings: PostedPosting[]): PostedEntry {
  return {
    id: row.id,
    orgId: row.orgId,
    description: row.description,
    source: { type: row.sourceType, id: row.sourceId, event: row.sourceEvent },
    effectiveAt: row.effectiveAt,
    reversesEntryId: row.reversesEntryId,
    metadata: row.metadata as Record<string, unknown>,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    postings,
  };
}

function postedOf(row: PostingWithAccount): PostedPosting {
  return {
    id: row.id,
    accountId: row.accountId,
    code: row.code as AccountCode,
    accountType: row.type as AccountType,
    currency: row.currency,
    party: partyOf(row),
    amount: row.amount,
    balanceAfter: row.balanceAfter,
  };
}

/** An entry as its audit entry records it. */
function auditViewOf(entry: PostedEntry): Record<string, unknown> {
  return {
    ...entry,
    effectiveAt: entry.effectiveAt.toISOString(),
    createdAt: entry.createdAt.toISOString(),
    postings: entry.postings.map(({ code, currency, party, amount }) => ({ code, currency, party, amount })),
  };
}

interface Header {
  id: string;
  orgId: string;
  description: string;
  source: EntrySource;
  effectiveAt: Date;
  reversesEntryId: string | null;
  metadata: Record<string, unknown>;
}

interface Line {
  account: AccountKeyRow & { type: AccountType };
  amount: number;
}

/** Inserts the entry's row; undefined when its source event is recorded already. */
function insertHeader(tx: Tx, caller: Caller, header: Header): Promise<EntryRow | undefined> {
  return insertEntry(tx, {
    id: header.id,
    orgId: header.orgId,
    description: header.description,
    sourceType: header.source.type,
    sourceId: header.source.id,
    sourceEvent: header.source.event,
    reversesEntryId: header.reversesEntryId,
    effectiveAt: header.effectiveAt,
    createdBy: caller.userId,
    correlationId: caller.context.correlationId,
    metadata: JSON.stringify(header.metadata),
  });
}

/** Inserts the postings sorted by account id, so that entries touching the same accounts lock them in one order. */
async function insertLines(tx: Tx, row: EntryRow, lines: Line[]): Promise<PostedEntry> {
  // Ids ascending in the order of insertion (the sort is stable: an account's lines keep the
  // caller's order), so that reading by account and id gives the postings back in that order.
  const ids = lines.map(() => uuidv7()).sort(compare);
  const rows = [...lines].sort((a, b) => compare(a.account.id, b.account.id)).map((line, index) => ({ line, id: ids[index]! }));
  const inserted = await insertPostings(
    tx,
    rows.map(({ line, id }) => ({
      id,
      orgId: row.orgId,
      entryId: row.id,
      accountId: line.account.id,
      amount: line.amount,
      currency: line.account.currency,
    })),
  );
  const balances = new Map(inserted.map((posting) => [posting.id, posting.balanceAfter]));
  return entryOf(
    row,
    rows.map(({ line, id }) => ({
      id,
      accountId: line.account.id,
      code: line.account.code as AccountCode,
      accountType: line.account.type,
      currency: line.account.currency,
      party: partyOf(line.account),
      amount: line.amount,
      balanceAfter: balances.get(id)!,
    })),
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function postedEvent(entry: PostedEntry) {
  return {
    type: 'journal_entry.posted',
    source,
    aggregate: { type: 'journal_entry', id: entry.id },
    data: {
      entryId: entry.id,
      sourceType: entry.source.type,
      sourceId: entry.source.id,
      sourceEvent: entry.source.event,
      reversesEntryId: entry.reversesEntryId,
      postings: entry.postings.map((posting) => ({
        code: posting.code,
        currency: posting.currency,
        partyType: posting.party?.type ?? null,
        partyId: posting.party?.id ?? null,
        amount: posting.amount,
      })),
    },
  };
}

interface CheckedEntry {
  header: Header;
  lines: { key: CheckedKey; amount: number }[];
}

function checkEntry(entry: NewEntry, id: string): CheckedEntry {
  if (!uuidPattern.test(entry.orgId))
    throw ledgerErrors.raise('invalid_entry', `An organization id is a UUID, not ${JSON.stringify(entry.orgId)}`);
  if (!Array.isArray(entry.postings)) throw ledgerErrors.raise('unbalanced', 'A journal entry needs postings');
  const lines = entry.postings.map((line) => ({ key: checkAccountKey(line.account), amount: checkAmount(line.amount) }));
  checkBalanced(lines.map((line) => ({ currency: line.key.currency, amount: line.amount })));
  return {
    header: {
      id,
      orgId: entry.orgId,
      description: checkDescription(entry.description),
      source: checkSource(entry.source),
      effectiveAt: checkEffectiveAt(entry.effectiveAt),
      reversesEntryId: null,
      metadata: checkMetadata(entry.metadata),
    },
    lines,
  };
}

/**
 * Posts an entry in the caller's transaction, opening its accounts on first use. An entry whose
 * source event is already posted posts nothing and answers null. Publishes
 * `journal_entry.posted`; a manual entry (source type `manual`) is audited too.
 */
export async function postEntry(tx: Tx, caller: Caller, entry: NewEntry): Promise<PostedEntry | null> {
  return postChecked(tx, caller, checkEntry(entry, uuidv7()));
}

/** A staff member's entry: its source is itself ({ type: 'manual', id: the entry's id, event: 'posted' }). */
export async function postManualEntry(tx: Tx, caller: Caller, entry: Omit<NewEntry, 'source'>): Promise<PostedEntry> {
  const id = uuidv7();
  const posted = await postChecked(tx, caller, checkEntry({ ...entry, source: { type: 'manual', id, event: 'posted' } }, id));
  if (!posted) throw new Error(`The manual entry ${id} collided with an entry of the same source`);
  return posted;
}

async function postChecked(tx: Tx, caller: Caller, checked: CheckedEntry): Promise<PostedEntry | null> {
  const { header } = checked;
  const row = await insertHeader(tx, caller, header);
  if (!row) return null;
  const wanted = new Map<string, CheckedKey>(checked.lines.map(({ key }) => [accountKey(key), key]));
  // Existing accounts are read with a plain SELECT first: an INSERT … ON CONFLICT would wait for
  // the lock of any transaction posting to the account, holding a hot account from here to commit.
  const existing = await accountsByKey(tx, header.orgId, [...wanted.values()]);
  const found = new Set(existing.map(accountKey));
  const missing = [...wanted.values()].filter((key) => !found.has(accountKey(key)));
  const opened =
    missing.length === 0
      ? []
      : await openAccounts(
          tx,
          header.orgId,
          missing.map((key) => ({ ...key, id: uuidv7(), name: chart[key.code].name, type: chart[key.code].type })),
        );
  const accounts = new Map([...existing, ...opened].map((account) => [accountKey(account), account]));
  const lines = checked.lines.map(({ key, amount }) => {
    const account = accounts.get(accountKey(key));
    if (!account) throw new Error(`The ledger account ${accountKey(key)} was neither opened nor found`);
    return { account: { ...account, type: chart[key.code].type }, amount };
  });
  const posted = await insertLines(tx, row, lines);
  if (header.source.type === 'manual') {
    await recordChange(tx, caller, {
      orgId: header.orgId,
      action: 'CREATE',
      entityType: 'journal_entry',
      entityId: posted.id,
      after: auditViewOf(posted),
      event: postedEvent(posted),
    });
  } else {
    await publish(tx, { ...caller.context, tenantId: header.orgId }, postedEvent(posted));
  }
  return posted;
}

export interface ReversalInput {
  orgId: string;
  entryId: string;
  reason: string;
  /** The reversal's own source; { type: 'reversal', id: entryId, event: 'reversed' } unless given. */
  source?: EntrySource;
}

/**
 * Posts the entry that cancels another: the same accounts, every amount negated. An entry is
 * reversed once (409 ledger.already_reversed), and a reversal is not reversed (409
 * ledger.reversal_not_reversible). Audited as LEDGER_REVERSAL.
 */
export async function reverseEntry(tx: Tx, caller: Caller, input: ReversalInput): Promise<PostedEntry> {
  const { orgId, entryId } = input;
  const reason = input.reason.trim();
  if (reason.length === 0 || reason.length > 1000) throw ledgerErrors.raise('invalid_entry', 'A reversal reason is 1 to 1000 characters');
  const reversalSource = checkSource(input.source ?? { type: 'reversal', id: entryId, event: 'reversed' });
  // The entry's row lock makes concurrent reversals of it take turns: the later one sees the first.
  const original = await entryRow(tx, orgId, entryId, { lock: true });
  if (!original) throw ledgerErrors.raise('entry_not_found', `No journal entry ${entryId} here`);
  if (original.reversesEntryId !== null)
    throw ledgerErrors.raise(
      'reversal_not_reversible',
      `Entry ${entryId} reverses entry ${original.reversesEntryId}: post a new entry instead`,
    );
  const reversal = (await reversalsOf(tx, orgId, [entryId])).get(entryId);
  if (reversal) throw ledgerErrors.raise('already_reversed', `Entry ${entryId} is reversed by entry ${reversal}`);

  const postings = await postingsOfEntries(tx, orgId, [entryId]);
  const header: Header = {
    id: uuidv7(),
    orgId,
    description: `Reversal of ${original.description} (${reason})`.slice(0, 500),
    source: reversalSource,
    effectiveAt: new Date(),
    reversesEntryId: entryId,
    metadata: { reason },
  };
  const row = await insertHeader(tx, caller, header);
  if (!row)
    throw ledgerErrors.raise(
      'already_reversed',
      `The source ${reversalSource.type}/${reversalSource.id}/${reversalSource.event} is posted already`,
    );
  const posted = await insertLines(
    tx,
    row,
    postings.map((posting) => ({
      account: {
        id: posting.accountId,
        code: posting.code,
        currency: posting.currency,
        partyType: posting.partyType,
        partyId: posting.partyId,
        type: posting.type as AccountType,
      },
      amount: -posting.amount,
    })),
  );
  await recordChange(tx, caller, {
    orgId,
    action: 'LEDGER_REVERSAL',
    entityType: 'journal_entry',
    entityId: entryId,
    after: { reversedBy: posted.id, reason, reversal: auditViewOf(posted) },
    event: postedEvent(posted),
  });
  return posted;
}

/** The entries of these rows with their postings, in the rows' order. */
export async function entriesWithPostings(db: Queryable, orgId: string, rows: EntryRow[]): Promise<PostedEntry[]> {
  const postings = await postingsOfEntries(
    db,
    orgId,
    rows.map((row) => row.id),
  );
  const byEntry = new Map<string, PostedPosting[]>();
  for (const posting of postings) byEntry.set(posting.entryId, [...(byEntry.get(posting.entryId) ?? []), postedOf(posting)]);
  return rows.map((row) => entryOf(row, byEntry.get(row.id) ?? []));
}

export async function entryById(db: Queryable, orgId: string, entryId: string): Promise<PostedEntry | undefined> {
  const row = await entryRow(db, orgId, entryId);
  return row && (await entriesWithPostings(db, orgId, [row]))[0];
}

/** The entry recorded for a source event, if any (to reverse it later). */
export async function entryOfSource(db: Queryable, orgId: string, entrySource: EntrySource): Promise<PostedEntry | undefined> {
  const row = await entryOfSourceRow(db, orgId, entrySource);
  return row && (await entriesWithPostings(db, orgId, [row]))[0];
}
