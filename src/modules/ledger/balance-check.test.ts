import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { checkLedgerBalances, ledgerBalanceCheckJob, ledgerModule, postEntry } from './index.ts';
import { customer, inOrganization, line, paymentSource, testCaller } from './test-support.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 4 });
});
afterAll(() => database.drop());

/** A logger whose error lines the test reads. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

async function organization(name: string): Promise<string> {
  const id = randomUUID();
  await sql`INSERT INTO organization (id, name) VALUES (${id}, ${name})`.execute(database.owner);
  return id;
}

const post = (orgId: string, postings: Parameters<typeof postEntry>[2]['postings']) =>
  inOrganization(database.db, orgId, (tx) =>
    postEntry(tx, testCaller(orgId), { orgId, description: 'Charge', source: paymentSource(), postings }),
  );

async function checksOf(orgId: string) {
  const { rows } = await sql<{ accountsChecked: number; mismatches: unknown[] }>`
    SELECT accounts_checked, mismatches FROM ledger_balance_check WHERE org_id = ${orgId} ORDER BY checked_at, id
  `.execute(database.owner);
  return rows;
}

describe('the balance check', () => {
  it('is an hourly job of the module', () => {
    expect(ledgerModule.jobs).toContain(ledgerBalanceCheckJob);
    expect(ledgerBalanceCheckJob).toMatchObject({
      name: 'ledger.balances.check.v1',
      schedule: expect.stringMatching(/^\d+ \* \* \* \*$/) as unknown,
    });
  });

  it('records each organization’s accounts as matching their postings, and finds a balance changed around the application', async () => {
    const harbour = await organization('Harbour');
    const hills = await organization('Hills');
    const idle = await organization('Idle');
    const guest = customer();
    await post(harbour, [line('1200', 10_000, 'EUR', guest), line('4000', -9_000), line('2600', -1_000)]);
    const second = await post(harbour, [line('1010', 4_000), line('1200', -4_000, 'EUR', guest)]);
    await post(hills, [line('1000', 700, 'KES'), line('4200', -700, 'KES')]);

    const clean = recordingLogger();
    const first = await checkLedgerBalances(database.db, clean.logger);
    expect(first).toMatchObject({ organizations: 2, accountsChecked: 6, mismatches: [] });
    expect(clean.lines).toEqual([]);
    expect(await checksOf(harbour)).toEqual([{ accountsChecked: 4, mismatches: [] }]);
    expect(await checksOf(hills)).toEqual([{ accountsChecked: 2, mismatches: [] }]);
    // No ledger, no check recorded.
    expect(await checksOf(idle)).toEqual([]);

    // The owner changes a kept balance and a posting count behind the trigger's back.
    const receivable = second!.postings.find((posting) => posting.code === '1200')!.accountId;
    const bank = second!.postings.find((posting) => posting.code === '1010')!.accountId;
    await sql`UPDATE ledger_account SET balance = balance + 250 WHERE id = ${receivable}`.execute(database.owner);
    await sql`UPDATE ledger_account SET posting_count = posting_count + 1 WHERE id = ${bank}`.execute(database.owner);

    const tampered = recordingLogger();
    await ledgerBalanceCheckJob.handle({}, { db: database.db, logger: tampered.logger, config: testConfig() });
    const expected = [
      { accountId: bank, code: '1010', currency: 'EUR', kept: 4_000, keptCount: 2, posted: 4_000, postedCount: 1 },
      { accountId: receivable, code: '1200', currency: 'EUR', kept: 6_250, keptCount: 2, posted: 6_000, postedCount: 2 },
    ];
    expect((await checksOf(harbour))[1]).toEqual({ accountsChecked: 4, mismatches: expected });
    expect((await checksOf(hills))[1]).toEqual({ accountsChecked: 2, mismatches: [] });
    expect(tampered.lines).toEqual([
      expect.objectContaining({
        level: 50,
        orgId: harbour,
        mismatches: expected,
        msg: 'ledger balances differ from the sum of their postings',
      }),
    ]);

    const again = await checkLedgerBalances(database.db, recordingLogger().logger);
    expect(again.mismatches).toEqual(expected.map((mismatch) => ({ orgId: harbour, ...mismatch })));
  });
});
