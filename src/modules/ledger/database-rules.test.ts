import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import type { Tx } from '../../platform/db/database.ts';
import { postEntry } from './index.ts';
import { customer, inOrganization, line, paymentSource, testCaller } from './test-support.ts';

/**
 * What the database itself holds the ledger to, whatever writes to it: raw SQL from the
 * application's role or the tables' owner. Entries balance at commit; entries and postings are
 * never changed or removed; an account with postings is never deleted.
 */
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 4 });
});
afterAll(() => database.drop());

async function openAccount(
  tx: Tx,
  orgId: string,
  code: string,
  type: string,
  currency = 'EUR',
  party: { type: string; id: string } | null = null,
) {
  const id = randomUUID();
  await sql`
    INSERT INTO ledger_account (id, org_id, code, name, type, currency, party_type, party_id)
    VALUES (${id}, ${orgId}, ${code}, ${`Account ${code}`}, ${type}, ${currency}, ${party?.type ?? null}, ${party?.id ?? null})
  `.execute(tx);
  return id;
}

async function insertEntry(tx: Tx, orgId: string) {
  const id = randomUUID();
  await sql`
    INSERT INTO journal_entry (id, org_id, description, source_type, source_id, source_event, effective_at)
    VALUES (${id}, ${orgId}, 'Raw entry', 'test', ${randomUUID()}, 'raw', now())
  `.execute(tx);
  return id;
}

async function insertPosting(tx: Tx, orgId: string, entryId: string, accountId: string, amount: number, currency = 'EUR') {
  const { rows } = await sql<{ balanceAfter: number }>`
    INSERT INTO ledger_posting (id, org_id, entry_id, account_id, amount, currency)
    VALUES (${randomUUID()}, ${orgId}, ${entryId}, ${accountId}, ${amount}, ${currency})
    RETURNING balance_after
  `.execute(tx);
  return rows[0]!.balanceAfter;
}

/** The error PostgreSQL answers, or undefined when the work commits. */
async function failure(work: Promise<unknown>): Promise<{ code?: string; constraint?: string; message: string } | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return error as { code?: string; constraint?: string; message: string };
  }
}

/** Runs raw SQL in one transaction: as the application (acting for the organization) or as the tables' owner. */
function asApp<T>(orgId: string, work: (tx: Tx) => Promise<T>) {
  return inOrganization(database.db, orgId, work);
}
function asOwner<T>(work: (tx: Tx) => Promise<T>) {
  return database.owner.transaction().execute(work);
}

describe('balance at commit', () => {
  it('refuses an unbalanced entry inserted by raw SQL when the transaction commits', async () => {
    const orgId = randomUUID();
    const [bank, income] = await asApp(orgId, async (tx) => [
      await openAccount(tx, orgId, '1010', 'asset'),
      await openAccount(tx, orgId, '4000', 'income'),
    ]);
    const unbalanced = await failure(
      asApp(orgId, async (tx) => {
        const entryId = await insertEntry(tx, orgId);
        await insertPosting(tx, orgId, entryId, bank, 100);
        await insertPosting(tx, orgId, entryId, income, -99);
        // Nothing is refused before commit: the check is deferred.
        return entryId;
      }),
    );
    expect(unbalanced).toMatchObject({ code: '23514', constraint: 'journal_entry_balanced' });
    expect(unbalanced?.message).toMatch(/does not balance: its postings sum to EUR 1/);

    const alone = await failure(
      asApp(orgId, async (tx) => {
        const entryId = await insertEntry(tx, orgId);
        await insertPosting(tx, orgId, entryId, bank, 100);
      }),
    );
    expect(alone?.message).toMatch(/has 1 posting\(s\)/);
    expect(await failure(asApp(orgId, (tx) => insertEntry(tx, orgId)))).toMatchObject({ constraint: 'journal_entry_balanced' });

    // Balanced in total, not in each currency.
    const usdBank = await asApp(orgId, (tx) => openAccount(tx, orgId, '1010', 'asset', 'USD'));
    const mixed = await failure(
      asApp(orgId, async (tx) => {
        const entryId = await insertEntry(tx, orgId);
        await insertPosting(tx, orgId, entryId, usdBank, 100, 'USD');
        await insertPosting(tx, orgId, entryId, income, -100);
      }),
    );
    expect(mixed?.message).toMatch(/EUR -100, USD 100/);

    // The owner is held to it too, and nothing of the refused transactions remains.
    const asTheOwner = await failure(
      asOwner(async (tx) => {
        const entryId = await insertEntry(tx, orgId);
        await insertPosting(tx, orgId, entryId, bank, 5);
      }),
    );
    expect(asTheOwner).toMatchObject({ constraint: 'journal_entry_balanced' });
    const { rows } = await sql<{ entries: number; balance: number }>`
      SELECT (SELECT count(*) FROM journal_entry WHERE org_id = ${orgId}) AS entries,
             (SELECT balance FROM ledger_account WHERE id = ${bank}) AS balance
    `.execute(database.owner);
    expect(rows[0]).toEqual({ entries: 0, balance: 0 });
  });

  it('keeps balances and balance_after with postings inserted by raw SQL, and refuses a posting added to a committed entry', async () => {
    const orgId = randomUUID();
    const { entryId, bank, after } = await asApp(orgId, async (tx) => {
      const bankId = await openAccount(tx, orgId, '1010', 'asset');
      const incomeId = await openAccount(tx, orgId, '4000', 'income');
      const id = await insertEntry(tx, orgId);
      const balances = [
        await insertPosting(tx, orgId, id, bankId, 300),
        await insertPosting(tx, orgId, id, incomeId, -100),
        await insertPosting(tx, orgId, id, bankId, -50),
        await insertPosting(tx, orgId, id, incomeId, -150),
      ];
      return { entryId: id, bank: bankId, after: balances };
    });
    expect(after).toEqual([300, -100, 250, -250]);
    const late = await failure(asApp(orgId, (tx) => insertPosting(tx, orgId, entryId, bank, 10)));
    expect(late).toMatchObject({ constraint: 'journal_entry_balanced' });
  });

  it('refuses a posting in another currency than its account’s', async () => {
    const orgId = randomUUID();
    const refused = await failure(
      asApp(orgId, async (tx) => {
        const bank = await openAccount(tx, orgId, '1010', 'asset', 'EUR');
        const entryId = await insertEntry(tx, orgId);
        await insertPosting(tx, orgId, entryId, bank, 10, 'USD');
      }),
    );
    expect(refused?.code).toBe('23503');
  });
});

describe('immutability', () => {
  it('refuses UPDATE, DELETE and TRUNCATE of entries and postings, to the application and to the owner', async () => {
    const orgId = randomUUID();
    const guest = customer();
    const posted = await asApp(orgId, (tx) =>
      postEntry(tx, testCaller(orgId), {
        orgId,
        description: 'Stay charged',
        source: paymentSource('charged'),
        postings: [line('1200', 900, 'EUR', guest), line('4000', -900)],
      }),
    );
    const entryId = posted!.id;
    const postingId = posted!.postings[0]!.id;
    const statements = [
      sql`UPDATE journal_entry SET description = 'Changed' WHERE id = ${entryId}`,
      sql`DELETE FROM journal_entry WHERE id = ${entryId}`,
      sql`UPDATE ledger_posting SET amount = amount + 1 WHERE id = ${postingId}`,
      sql`UPDATE ledger_posting SET balance_after = 0 WHERE id = ${postingId}`,
      sql`DELETE FROM ledger_posting WHERE entry_id = ${entryId}`,
    ];
    for (const statement of statements) {
      for (const run of [(work: (tx: Tx) => Promise<unknown>) => asApp(orgId, work), asOwner]) {
        const refused = await failure(run((tx) => statement.execute(tx)));
        expect(refused).toMatchObject({ code: '42501' });
        expect(refused?.message).toMatch(/append-only/);
      }
    }
    for (const table of ['journal_entry', 'ledger_posting']) {
      const refused = await failure(asOwner((tx) => sql`TRUNCATE ${sql.table(table)} CASCADE`.execute(tx)));
      expect(refused?.message).toMatch(/append-only: TRUNCATE is not allowed/);
      // The application's role is not even granted TRUNCATE.
      expect(await failure(asApp(orgId, (tx) => sql`TRUNCATE ${sql.table(table)}`.execute(tx)))).toMatchObject({ code: '42501' });
    }
    // An account with postings stays.
    const account = posted!.postings[0]!.accountId;
    expect((await failure(asOwner((tx) => sql`DELETE FROM ledger_account WHERE id = ${account}`.execute(tx))))?.message).toMatch(
      /has postings and cannot be deleted/,
    );
    const { rows } = await sql<{ postings: number; description: string }>`
      SELECT (SELECT count(*) FROM ledger_posting WHERE entry_id = ${entryId}) AS postings,
             (SELECT description FROM journal_entry WHERE id = ${entryId}) AS description
    `.execute(database.owner);
    expect(rows[0]).toEqual({ postings: 2, description: 'Stay charged' });
  });

  it('shows an organization none of another’s entries', async () => {
    const orgId = randomUUID();
    await asApp(orgId, (tx) =>
      postEntry(tx, testCaller(orgId), {
        orgId,
        description: 'Mine',
        source: paymentSource(),
        postings: [line('1000', 1), line('4000', -1)],
      }),
    );
    const other = randomUUID();
    const { rows } = await asApp(other, (tx) =>
      sql<{
        count: number;
      }>`SELECT (SELECT count(*) FROM journal_entry) + (SELECT count(*) FROM ledger_posting) + (SELECT count(*) FROM ledger_account) AS count`.execute(
        tx,
      ),
    );
    expect(rows[0]!.count).toBe(0);
    // Nor may it write into another organization's ledger.
    expect(
      await failure(
        asApp(other, (tx) =>
          postEntry(tx, testCaller(orgId), {
            orgId,
            description: 'Theirs',
            source: paymentSource(),
            postings: [line('1000', 1), line('4000', -1)],
          }),
        ),
      ),
    ).toMatchObject({ code: '42501' });
  });
});
