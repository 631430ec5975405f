import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { AppError } from '../../platform/http/errors.ts';
import { accountBalance, entryOfSource, type NewEntry, partyAccounts, partyPostings, postEntry, reverseEntry } from './index.ts';
import {
  auditOf,
  customer,
  inOrganization,
  ledgerRowCounts,
  line,
  owner,
  paymentSource,
  postedEvents,
  provider,
  testCaller,
} from './test-support.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 6 });
});
afterAll(() => database.drop());

const post = (orgId: string, entry: Omit<NewEntry, 'orgId'>) =>
  inOrganization(database.db, orgId, (tx) => postEntry(tx, testCaller(orgId), { orgId, ...entry }));

const balanceOf = (orgId: string, ...key: Parameters<typeof line>) =>
  inOrganization(database.db, orgId, (tx) => accountBalance(tx, orgId, line(...key).account));

async function refusal(work: Promise<unknown>): Promise<{ code: string; status: number; detail: string }> {
  const error = await work.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return { code: error.code, status: error.status, detail: error.detail };
}

describe('posting an entry', () => {
  it('opens the accounts on first use, moves their balances, records the balance after each posting, and publishes the entry', async () => {
    const orgId = randomUUID();
    const guest = customer();
    const landlord = owner();
    const source = paymentSource();
    const posted = await post(orgId, {
      description: 'Card payment for booking 00000042',
      source,
      effectiveAt: new Date('2030-05-01T10:00:00Z'),
      metadata: { bookingReference: '00000042' },
      postings: [line('1100', 50_000, 'EUR', provider('stripe')), line('2000', -45_000, 'EUR', landlord), line('4100', -5_000)],
    });
    expect(posted).toMatchObject({
      orgId,
      description: 'Card payment for booking 00000042',
      source,
      effectiveAt: new Date('2030-05-01T10:00:00Z'),
      reversesEntryId: null,
      metadata: { bookingReference: '00000042' },
    });
    expect(posted!.postings).toHaveLength(3);
    // Inserted, and answered, in the order of their account ids.
    const accountIds = posted!.postings.map((posting) => posting.accountId);
    expect(accountIds).toEqual([...accountIds].sort());
    expect(
      posted!.postings
        .map(({ code, amount, balanceAfter, party }) => ({ code, amount, balanceAfter, party }))
        .sort((a, b) => a.code.localeCompare(b.code)),
    ).toEqual([
      { code: '1100', amount: 50_000, balanceAfter: 50_000, party: { type: 'provider', id: 'stripe' } },
      { code: '2000', amount: -45_000, balanceAfter: -45_000, party: landlord },
      { code: '4100', amount: -5_000, balanceAfter: -5_000, party: null },
    ]);

    const second = await post(orgId, {
      description: 'Card payment for booking 00000043',
      source: paymentSource(),
      postings: [line('1100', 20_000, 'EUR', provider('stripe')), line('1200', -20_000, 'EUR', guest)],
    });
    expect(second!.postings.find((posting) => posting.code === '1100')?.balanceAfter).toBe(70_000);
    expect(await balanceOf(orgId, '1100', 0, 'EUR', provider('stripe'))).toBe(70_000);
    expect(await balanceOf(orgId, '2000', 0, 'EUR', landlord)).toBe(-45_000);
    expect(await balanceOf(orgId, '1200', 0, 'EUR', guest)).toBe(-20_000);
    expect(await balanceOf(orgId, '4100', 0, 'EUR')).toBe(-5_000);
    // Never used: zero, and nothing opened by asking.
    expect(await balanceOf(orgId, '4100', 0, 'USD')).toBe(0);
    expect(await ledgerRowCounts(database.owner, orgId)).toEqual({ entries: 2, postings: 5, accounts: 4, events: 2 });

    const [event] = await postedEvents(database.owner, orgId);
    expect(event).toEqual({
      entryId: posted!.id,
      sourceType: 'payment',
      sourceId: source.id,
      sourceEvent: 'succeeded',
      reversesEntryId: null,
      postings: expect.arrayContaining([
        { code: '1100', currency: 'EUR', partyType: 'provider', partyId: 'stripe', amount: 50_000 },
        { code: '2000', currency: 'EUR', partyType: 'owner', partyId: landlord.id, amount: -45_000 },
        { code: '4100', currency: 'EUR', partyType: null, partyId: null, amount: -5_000 },
      ]) as unknown,
    });
    // Entries posted by other modules are not audited: their own use case is.
    expect(await auditOf(database.owner, orgId)).toEqual([]);
  });

  it('posts a source event once: a duplicate answers null and writes nothing', async () => {
    const orgId = randomUUID();
    const source = paymentSource('captured');
    const entry = { description: 'Captured', source, postings: [line('1010', 1_000), line('4000', -1_000)] };
    const first = await post(orgId, entry);
    const before = await ledgerRowCounts(database.owner, orgId);
    // The same source with other accounts still posts nothing: the source event is what counts.
    expect(await post(orgId, entry)).toBeNull();
    expect(await post(orgId, { ...entry, postings: [line('1000', 7), line('4200', -7, 'EUR')] })).toBeNull();
    expect(await ledgerRowCounts(database.owner, orgId)).toEqual(before);
    expect(await balanceOf(orgId, '1010', 0)).toBe(1_000);
    // Another step of the same source is another entry.
    expect(await post(orgId, { ...entry, source: { ...source, event: 'settled' } })).not.toBeNull();
    expect((await inOrganization(database.db, orgId, (tx) => entryOfSource(tx, orgId, source)))?.id).toBe(first!.id);
    expect(await inOrganization(database.db, orgId, (tx) => entryOfSource(tx, orgId, { ...source, event: 'refunded' }))).toBeUndefined();
  });

  it('balances each currency on its own, and lets one entry touch an account twice', async () => {
    const orgId = randomUUID();
    const posted = await post(orgId, {
      description: 'Exchange',
      source: paymentSource('exchanged'),
      postings: [line('1010', 10_000, 'USD'), line('3000', -10_000, 'USD'), line('1010', 9_000, 'EUR'), line('3000', -9_000, 'EUR')],
    });
    expect(posted!.postings).toHaveLength(4);
    const twice = await post(orgId, {
      description: 'Moved within the bank account',
      source: paymentSource('moved'),
      postings: [line('1010', 500, 'EUR'), line('1010', -500, 'EUR')],
    });
    // One account's postings go in, and come back, in the entry's order.
    expect(twice!.postings.map((posting) => posting.balanceAfter)).toEqual([9_500, 9_000]);
    const read = await inOrganization(database.db, orgId, (tx) => entryOfSource(tx, orgId, twice!.source));
    expect(read!.postings.map((posting) => [posting.amount, posting.balanceAfter])).toEqual([
      [500, 9_500],
      [-500, 9_000],
    ]);
    expect(await balanceOf(orgId, '1010', 0, 'EUR')).toBe(9_000);
    expect(await balanceOf(orgId, '1010', 0, 'USD')).toBe(10_000);
  });

  it('refuses what is not a balanced entry of the chart, and leaves nothing behind', async () => {
    const orgId = randomUUID();
    const attempt = (postings: NewEntry['postings'], extra: Partial<NewEntry> = {}) =>
      refusal(post(orgId, { description: 'Refused', source: paymentSource(), postings, ...extra }));
    const cases: [Promise<{ code: string; status: number }>, string][] = [
      [attempt([line('1010', 100), line('4000', -99)]), 'ledger.unbalanced'],
      [attempt([line('1010', 100, 'USD'), line('4000', -100, 'EUR')]), 'ledger.unbalanced'],
      [attempt([line('1010', 100)]), 'ledger.unbalanced'],
      [attempt([]), 'ledger.unbalanced'],
      [attempt([line('1010', 0), line('4000', 0)]), 'ledger.invalid_amount'],
      [attempt([line('1010', 10.5), line('4000', -10.5)]), 'ledger.invalid_amount'],
      [attempt([line('1010', 2 ** 53), line('4000', -(2 ** 53))]), 'ledger.invalid_amount'],
      [attempt([line('1010', 100, 'XYZ'), line('4000', -100, 'XYZ')]), 'ledger.invalid_account'],
      [attempt([{ account: { code: '9999' as '1000', currency: 'EUR' }, amount: 1 }, line('4000', -1)]), 'ledger.invalid_account'],
      [attempt([line('1010', 100), line('1200', -100)]), 'ledger.invalid_account'],
      [attempt([line('1010', 100, 'EUR', customer()), line('4000', -100)]), 'ledger.invalid_account'],
      [attempt([line('1010', 100), line('2200', -100, 'EUR', customer())]), 'ledger.invalid_account'],
      [attempt([line('1100', 100, 'EUR', provider('paypal' as 'stripe')), line('4000', -100)]), 'ledger.invalid_account'],
      [attempt([line('1010', 100), line('1200', -100, 'EUR', { type: 'customer', id: 'not-a-uuid' })]), 'ledger.invalid_account'],
      [attempt([line('1010', 100), line('4000', -100)], { description: '' }), 'ledger.invalid_entry'],
      [
        attempt([line('1010', 100), line('4000', -100)], { source: { type: 'Payment', id: randomUUID(), event: 'x' } }),
        'ledger.invalid_entry',
      ],
      [attempt([line('1010', 100), line('4000', -100)], { source: { type: 'payment', id: 'p-1', event: 'x' } }), 'ledger.invalid_entry'],
    ];
    for (const [outcome, code] of cases) expect((await outcome).code).toBe(code);
    expect((await cases[0]![0]).status).toBe(422);
    expect(await ledgerRowCounts(database.owner, orgId)).toEqual({ entries: 0, postings: 0, accounts: 0, events: 0 });
  });

  it('applies the party rules of the chart', async () => {
    const orgId = randomUUID();
    const ok = (postings: NewEntry['postings']) => post(orgId, { description: 'Allowed', source: paymentSource(), postings });
    // 2000 holds escrow for an owner, or for the organization's own property without one.
    await ok([line('1010', 100), line('2000', -100, 'EUR', owner())]);
    await ok([line('1010', 100), line('2000', -100)]);
    await ok([line('1010', 100), line('2100', -100, 'EUR', customer())]);
    await ok([line('1100', 100, 'EUR', provider('mpesa')), line('2300', -100, 'EUR', owner())]);
    await ok([line('2400', 100, 'EUR', customer()), line('2600', -100)]);
    for (const [code, party] of [
      ['1200', owner()],
      ['2200', null],
      ['2300', customer()],
      ['2400', owner()],
      ['1100', null],
      ['4000', owner()],
      ['2000', customer()],
    ] as const) {
      const refused = await refusal(ok([line('1010', 100), line(code, -100, 'EUR', party)]));
      expect(refused.code, `${code} with ${party?.type ?? 'no party'}`).toBe('ledger.invalid_account');
    }
  });
});

describe('balances', () => {
  it('reads the balance of a party’s accounts, and locks an account (opening it) before spending from it', async () => {
    const orgId = randomUUID();
    const guest = customer();
    await post(orgId, {
      description: 'Deposit and stay charged',
      source: paymentSource('charged'),
      postings: [line('1200', 30_000, 'EUR', guest), line('2100', -10_000, 'EUR', guest), line('4000', -20_000)],
    });
    expect(await inOrganization(database.db, orgId, (tx) => partyAccounts(tx, orgId, guest))).toEqual([
      { code: '1200', currency: 'EUR', balance: 30_000 },
      { code: '2100', currency: 'EUR', balance: -10_000 },
    ]);
    expect(await inOrganization(database.db, orgId, (tx) => partyAccounts(tx, orgId, customer()))).toEqual([]);
    await post(orgId, {
      description: 'Stay paid',
      source: paymentSource('paid'),
      postings: [line('1010', 20_000), line('1200', -20_000, 'EUR', guest)],
    });
    const statement = await inOrganization(database.db, orgId, (tx) => partyPostings(tx, orgId, guest, { limit: 2, offset: 0 }));
    expect(statement.total).toBe(3);
    expect(
      statement.data.map(({ code, amount, balanceAfter, description, sourceEvent }) => ({
        code,
        amount,
        balanceAfter,
        description,
        sourceEvent,
      })),
    ).toEqual([
      { code: '1200', amount: -20_000, balanceAfter: 10_000, description: 'Stay paid', sourceEvent: 'paid' },
      expect.objectContaining({ sourceEvent: 'charged' }),
    ]);

    // A locked read opens the account…
    const landlord = owner();
    const payable = line('2200', 0, 'EUR', landlord).account;
    expect(await inOrganization(database.db, orgId, (tx) => accountBalance(tx, orgId, payable, { lock: true }))).toBe(0);
    expect((await ledgerRowCounts(database.owner, orgId)).accounts).toBe(5);
    await post(orgId, {
      description: 'Owner share',
      source: paymentSource('shared'),
      postings: [line('4000', 300), line('2200', -300, 'EUR', landlord)],
    });

    // …and holds it until commit: another transaction's posting to it waits, and the balance read stays true.
    const holder = await database.db.startTransaction().execute();
    await sql`SELECT set_config('tenure.org_id', ${orgId}, true)`.execute(holder);
    expect(await accountBalance(holder, orgId, payable, { lock: true })).toBe(-300);
    const waiting = post(orgId, {
      description: 'Another owner share',
      source: paymentSource('shared'),
      postings: [line('4000', 100), line('2200', -100, 'EUR', landlord)],
    });
    await waitFor(
      async () => {
        const { rows } = await sql<{ waiting: number }>`
          SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
        `.execute(database.owner);
        return rows[0]!.waiting > 0;
      },
      { message: 'the posting to wait for the locked account' },
    );
    await postEntry(holder, testCaller(orgId), {
      orgId,
      description: 'Payout of the owner share',
      source: paymentSource('requested'),
      postings: [line('2200', 300, 'EUR', landlord), line('2300', -300, 'EUR', landlord)],
    });
    await holder.commit().execute();
    const later = await waiting;
    expect(later!.postings.find((posting) => posting.code === '2200')?.balanceAfter).toBe(-100);
    expect(await balanceOf(orgId, '2200', 0, 'EUR', landlord)).toBe(-100);
  });

  it('finds an account another transaction opened while this one waited for it', async () => {
    const orgId = randomUUID();
    const guest = customer();
    const first = await database.db.startTransaction().execute();
    await sql`SELECT set_config('tenure.org_id', ${orgId}, true)`.execute(first);
    await postEntry(first, testCaller(orgId), {
      orgId,
      description: 'First charge',
      source: paymentSource('charged'),
      postings: [line('1200', 100, 'EUR', guest), line('4000', -100)],
    });
    // The second opens the same accounts: its insert waits on the first's uncommitted rows.
    const second = post(orgId, {
      description: 'Second charge',
      source: paymentSource('charged'),
      postings: [line('1200', 50, 'EUR', guest), line('4000', -50)],
    });
    await waitFor(
      async () => {
        const { rows } = await sql<{ waiting: number }>`
          SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'
        `.execute(database.owner);
        return rows[0]!.waiting > 0;
      },
      { message: 'the second entry to wait for the first' },
    );
    await first.commit().execute();
    const posted = await second;
    expect(posted!.postings.map((posting) => posting.balanceAfter).sort((a, b) => a - b)).toEqual([-150, 150]);
    expect((await ledgerRowCounts(database.owner, orgId)).accounts).toBe(2);
  });
});

describe('reversing an entry', () => {
  it('posts the negated entry once, audited, and refuses a second reversal and the reversal of a reversal', async () => {
    const orgId = randomUUID();
    const guest = customer();
    const original = await post(orgId, {
      description: 'Stay charged',
      source: paymentSource('charged'),
      postings: [line('1200', 12_000, 'EUR', guest), line('4000', -11_000), line('2600', -1_000)],
    });
    const reverse = (entryId: string, source?: NewEntry['source']) =>
      inOrganization(database.db, orgId, (tx) => reverseEntry(tx, testCaller(orgId), { orgId, entryId, reason: 'Charged twice', source }));
    const reversal = await reverse(original!.id);
    expect(reversal).toMatchObject({
      reversesEntryId: original!.id,
      source: { type: 'reversal', id: original!.id, event: 'reversed' },
      metadata: { reason: 'Charged twice' },
    });
    expect(reversal.description).toContain('Stay charged');
    expect(
      reversal.postings.map(({ accountId, amount }) => ({ accountId, amount })).sort((a, b) => a.accountId.localeCompare(b.accountId)),
    ).toEqual(
      original!.postings
        .map(({ accountId, amount }) => ({ accountId, amount: -amount }))
        .sort((a, b) => a.accountId.localeCompare(b.accountId)),
    );
    expect(reversal.postings.every((posting) => posting.balanceAfter === 0)).toBe(true);
    expect(await balanceOf(orgId, '1200', 0, 'EUR', guest)).toBe(0);

    expect(await refusal(reverse(original!.id))).toMatchObject({ code: 'ledger.already_reversed', status: 409 });
    expect(await refusal(reverse(original!.id, paymentSource('voided')))).toMatchObject({ code: 'ledger.already_reversed' });
    expect(await refusal(reverse(reversal.id))).toMatchObject({ code: 'ledger.reversal_not_reversible', status: 409 });
    expect(await refusal(reverse(randomUUID()))).toMatchObject({ code: 'ledger.entry_not_found', status: 404 });
    // Another organization's entry is not found either.
    const elsewhere = randomUUID();
    expect(
      await refusal(
        inOrganization(database.db, elsewhere, (tx) =>
          reverseEntry(tx, testCaller(elsewhere), { orgId: elsewhere, entryId: original!.id, reason: 'Not mine' }),
        ),
      ),
    ).toMatchObject({ code: 'ledger.entry_not_found' });

    const audit = await auditOf(database.owner, orgId);
    expect(audit).toEqual([
      expect.objectContaining({
        action: 'LEDGER_REVERSAL',
        entityId: original!.id,
        actorType: 'system',
        after: expect.objectContaining({ reversedBy: reversal.id, reason: 'Charged twice' }) as unknown,
      }),
    ]);
    expect((await postedEvents(database.owner, orgId)).map((event) => event.reversesEntryId)).toEqual([null, original!.id]);
  });

  it('takes the reversal’s own source when given, so a redelivered event finds it', async () => {
    const orgId = randomUUID();
    const original = await post(orgId, {
      description: 'Refund paid',
      source: paymentSource('refunded'),
      postings: [line('2400', 500, 'EUR', customer()), line('1010', -500)],
    });
    const source = { type: 'refund', id: randomUUID(), event: 'failed' };
    const reversal = await inOrganization(database.db, orgId, (tx) =>
      reverseEntry(tx, testCaller(orgId), { orgId, entryId: original!.id, reason: 'The bank returned it', source }),
    );
    expect((await inOrganization(database.db, orgId, (tx) => entryOfSource(tx, orgId, source)))?.id).toBe(reversal.id);
  });

  it('lets one of two concurrent reversals through', async () => {
    const orgId = randomUUID();
    const original = await post(orgId, {
      description: 'Fee',
      source: paymentSource('fee'),
      postings: [line('5100', 30), line('1100', -30, 'EUR', provider('sandbox'))],
    });
    const outcomes = await Promise.allSettled(
      [1, 2].map(() =>
        inOrganization(database.db, orgId, (tx) => reverseEntry(tx, testCaller(orgId), { orgId, entryId: original!.id, reason: 'Waived' })),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const [rejected] = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect((rejected!.reason as AppError).code).toBe('ledger.already_reversed');
    expect(await balanceOf(orgId, '5100', 0)).toBe(0);
  });
});
