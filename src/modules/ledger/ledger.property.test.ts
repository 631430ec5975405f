import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { type AccountKey, postEntry, reverseEntry } from './index.ts';
import { reconcileAccounts } from './queries.ts';
import { trialBalance } from './reads.ts';
import { inOrganization, ledgerRowCounts, testCaller } from './test-support.ts';

/**
 * Random sequences of what other modules do to the ledger — entries over several accounts,
 * currencies and parties, some unbalanced, some with a zero amount or an account the chart refuses,
 * some repeating an earlier source event, reversals of entries, of entries already reversed and of
 * reversals — each in its own transaction, next to a small model of what should be accepted. Every
 * outcome is the model's; after every run, in the database: each entry balances in each currency,
 * each account's kept balance and count are its postings' sum and count (and the model's), each
 * source event is posted once, refused entries left no row, and the trial balance balances.
 */

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 4 });
});
afterAll(() => database.drop());

const guests = [randomUUID(), randomUUID()];
const owners = [randomUUID()];

/** The accounts the runs post to; the last is refused by the chart (a receivable needs its customer). */
const keys: AccountKey[] = [
  { code: '1010', currency: 'EUR' },
  { code: '4000', currency: 'EUR' },
  { code: '1200', currency: 'EUR', party: { type: 'customer', id: guests[0]! } },
  { code: '1200', currency: 'EUR', party: { type: 'customer', id: guests[1]! } },
  { code: '2000', currency: 'EUR' },
  { code: '2000', currency: 'EUR', party: { type: 'owner', id: owners[0]! } },
  { code: '2200', currency: 'EUR', party: { type: 'owner', id: owners[0]! } },
  { code: '1100', currency: 'KES', party: { type: 'provider', id: 'mpesa' } },
  { code: '4100', currency: 'KES' },
  { code: '2100', currency: 'KES', party: { type: 'customer', id: guests[0]! } },
  { code: '1200', currency: 'KES', party: null },
];
const refusedKey = keys.length - 1;
const keyOf = (key: AccountKey) => `${key.code}|${key.currency}|${key.party?.type ?? ''}|${key.party?.id ?? ''}`;

/** Source events come from a small pool, so that runs repeat them. */
const sourceIds = [randomUUID(), randomUUID(), randomUUID()];
const sourceEvents = ['succeeded', 'refunded'];

type Operation =
  | {
      op: 'post';
      source: [number, number];
      lines: { key: number; amount: number }[];
      /** Whether a balancing line is added in each currency that does not sum to zero. */
      balance: boolean;
      balancers: number[];
    }
  | { op: 'reverse'; pick: number };

const amount = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: -90_000, max: 90_000 }).filter((value) => value !== 0) },
  { weight: 1, arbitrary: fc.constant(0) },
);
const key = fc.oneof({ weight: 30, arbitrary: fc.nat(keys.length - 2) }, { weight: 1, arbitrary: fc.constant(refusedKey) });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('post' as const),
      source: fc.tuple(fc.nat(sourceIds.length - 1), fc.nat(sourceEvents.length - 1)),
      lines: fc.array(fc.record({ key, amount }), { minLength: 1, maxLength: 4 }),
      balance: fc.nat(3).map((draw) => draw > 0),
      balancers: fc.array(fc.nat(keys.length - 2), { minLength: 2, maxLength: 2 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('reverse' as const), pick: fc.nat(40) }) },
);

interface ModelEntry {
  id: string;
  lines: { key: AccountKey; amount: number }[];
  reversal: boolean;
  reversed: boolean;
}

class Model {
  entries: ModelEntry[] = [];
  sources = new Set<string>();
  balances = new Map<string, number>();

  apply(lines: { key: AccountKey; amount: number }[]): void {
    for (const line of lines) this.balances.set(keyOf(line.key), (this.balances.get(keyOf(line.key)) ?? 0) + line.amount);
  }

  /** The code an entry of these lines is refused with, or undefined when it is accepted. */
  static refusal(lines: { key: number; amount: number }[]): string | undefined {
    for (const line of lines) {
      if (line.key === refusedKey) return 'ledger.invalid_account';
      if (line.amount === 0) return 'ledger.invalid_amount';
    }
    if (lines.length < 2) return 'ledger.unbalanced';
    const totals = new Map<string, number>();
    for (const line of lines) totals.set(keys[line.key]!.currency, (totals.get(keys[line.key]!.currency) ?? 0) + line.amount);
    return [...totals.values()].some((total) => total !== 0) ? 'ledger.unbalanced' : undefined;
  }
}

/** The lines of a post operation, with its balancing lines when it asks for them. */
function linesOf(operation: Extract<Operation, { op: 'post' }>): { key: number; amount: number }[] {
  const lines = [...operation.lines];
  if (!operation.balance) return lines;
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(keys[line.key]!.currency, (totals.get(keys[line.key]!.currency) ?? 0) + line.amount);
  for (const [currency, total] of totals) {
    if (total === 0) continue;
    const candidates = keys.map((_, index) => index).filter((index) => index !== refusedKey && keys[index]!.currency === currency);
    const balancer = candidates[operation.balancers[currency === 'EUR' ? 0 : 1]! % candidates.length]!;
    lines.push({ key: balancer, amount: -total });
  }
  return lines;
}

async function outcomeOf<T>(work: Promise<T>): Promise<{ value?: T; code?: string }> {
  try {
    return { value: await work };
  } catch (error) {
    if (error instanceof AppError) return { code: error.code };
    throw error;
  }
}

async function run(operations: Operation[]): Promise<void> {
  const orgId = randomUUID();
  const caller = testCaller(orgId);
  const model = new Model();
  for (const operation of operations) {
    if (operation.op === 'post') {
      const lines = linesOf(operation);
      const source = { type: 'payment', id: sourceIds[operation.source[0]]!, event: sourceEvents[operation.source[1]]! };
      const outcome = await outcomeOf(
        inOrganization(database.db, orgId, (tx) =>
          postEntry(tx, caller, {
            orgId,
            description: 'Random entry',
            source,
            postings: lines.map((line) => ({ account: keys[line.key]!, amount: line.amount })),
          }),
        ),
      );
      const refusal = Model.refusal(lines);
      const sourceKey = `${source.id}|${source.event}`;
      if (refusal) {
        expect(outcome.code).toBe(refusal);
      } else if (model.sources.has(sourceKey)) {
        expect(outcome).toEqual({ value: null });
      } else {
        expect(outcome.code).toBeUndefined();
        const posted = outcome.value!;
        expect(posted.postings).toHaveLength(lines.length);
        const modelLines = lines.map((line) => ({ key: keys[line.key]!, amount: line.amount }));
        model.sources.add(sourceKey);
        model.entries.push({ id: posted.id, lines: modelLines, reversal: false, reversed: false });
        model.apply(modelLines);
      }
    } else {
      const target = model.entries[operation.pick % Math.max(1, model.entries.length)];
      const entryId = target?.id ?? randomUUID();
      const outcome = await outcomeOf(
        inOrganization(database.db, orgId, (tx) => reverseEntry(tx, caller, { orgId, entryId, reason: 'Random reversal' })),
      );
      if (!target) expect(outcome.code).toBe('ledger.entry_not_found');
      else if (target.reversal) expect(outcome.code).toBe('ledger.reversal_not_reversible');
      else if (target.reversed) expect(outcome.code).toBe('ledger.already_reversed');
      else {
        expect(outcome.code).toBeUndefined();
        const negated = target.lines.map((line) => ({ key: line.key, amount: -line.amount }));
        target.reversed = true;
        model.entries.push({ id: outcome.value!.id, lines: negated, reversal: true, reversed: false });
        model.apply(negated);
      }
    }
  }
  await checkInvariants(orgId, model);
}

async function checkInvariants(orgId: string, model: Model): Promise<void> {
  await inOrganization(database.db, orgId, async (tx) => {
    // Every entry has two postings or more, summing to zero in each currency.
    const { rows: unbalanced } = await sql<{ entryId: string }>`
      SELECT e.id AS entry_id FROM journal_entry e LEFT JOIN ledger_posting p ON p.entry_id = e.id
      GROUP BY e.id HAVING count(p.id) < 2
      UNION ALL
      SELECT entry_id FROM ledger_posting GROUP BY entry_id, currency HAVING sum(amount) <> 0
    `.execute(tx);
    expect(unbalanced).toEqual([]);

    // Kept balances and counts are the postings' own, and the model's.
    const reconciled = await reconcileAccounts(tx);
    expect(reconciled.mismatches).toEqual([]);
    const { rows: accounts } = await sql<{
      code: string;
      currency: string;
      partyType: string | null;
      partyId: string | null;
      balance: number;
    }>`
      SELECT code, currency, party_type, party_id, balance FROM ledger_account
    `.execute(tx);
    const kept = new Map(
      accounts.map((account) => [
        keyOf({
          code: account.code as AccountKey['code'],
          currency: account.currency,
          party: account.partyType ? { type: account.partyType as 'owner', id: account.partyId! } : null,
        }),
        account.balance,
      ]),
    );
    // Only the accounts of accepted entries were opened: a refused entry opened none.
    expect(kept).toEqual(model.balances);

    // Each source event once; reversals once per entry.
    const { rows: sources } = await sql<{ entries: number; sources: number; reversals: number; reversed: number }>`
      SELECT count(*) AS entries, count(DISTINCT (source_type, source_id, source_event)) AS sources,
             count(reverses_entry_id) AS reversals, count(DISTINCT reverses_entry_id) AS reversed
      FROM journal_entry
    `.execute(tx);
    const reversals = model.entries.filter((entry) => entry.reversal).length;
    expect(sources[0]).toEqual({ entries: model.entries.length, sources: model.entries.length, reversals, reversed: reversals });

    const trial = await trialBalance(tx, {});
    expect(trial.balanced).toBe(true);
    for (const total of trial.totals) expect(total.debits.amount).toBe(total.credits.amount);
  });
  const counts = await ledgerRowCounts(database.owner, orgId);
  expect(counts).toMatchObject({
    entries: model.entries.length,
    postings: model.entries.reduce((sum, entry) => sum + entry.lines.length, 0),
    events: model.entries.length,
  });
}

describe('the ledger under random entries', () => {
  it('stays balanced, posts each source event once, and leaves nothing of a refused entry', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 40, size: 'medium' }), (operations) => run(operations)),
      { numRuns: 50 },
    );
  }, 240_000);
});
