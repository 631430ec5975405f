import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, type Session } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { identityModule } from '../identity/index.ts';
import { organizationsModule } from '../organizations/index.ts';
import { checkLedgerBalances, ledgerModule, postEntry } from './index.ts';
import type { AccountReply, EntryReply, TrialBalanceReply } from './schemas.ts';
import { auditOf, customer, inOrganization, line, owner, paymentSource, postedEvents, testCaller } from './test-support.ts';

let database: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  t = await buildTestApp({ modules: [identityModule, organizationsModule, ledgerModule], database });
});
afterAll(async () => {
  await t.close();
  await database.drop();
});

type Method = 'GET' | 'POST';
const call = (method: Method, url: string, session: Session, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(session.accessToken), ...(payload ? { payload } : {}) });

async function actIn(session: Session, organizationId: string): Promise<Session> {
  const switched = await call('POST', `/v1/organizations/${organizationId}/switch`, session);
  if (switched.statusCode !== 200) throw new Error(switched.body);
  return { ...session, accessToken: switched.json<{ accessToken: string }>().accessToken };
}

async function organization(label: string): Promise<{ id: string; admin: Session }> {
  const admin = await newUser(t.app, label);
  const created = await call('POST', '/v1/organizations', admin, { name: `${label} rentals` });
  const id = created.json<{ id: string }>().id;
  return { id, admin: await actIn(admin, id) };
}

async function member(org: { id: string; admin: Session }, label: string, role: string): Promise<Session> {
  const user = await newUser(t.app, label);
  const invited = await call('POST', `/v1/organizations/${org.id}/invitations`, org.admin, { email: user.email, role });
  await call('POST', '/v1/invitations/accept', user, { token: invited.json<{ token: string }>().token });
  return actIn(user, org.id);
}

const money = (amount: number, currency = 'EUR') => ({ amount, currency });

describe('manual entries and reversals', () => {
  it('posts a staff entry, shows it, reverses it once, and audits both', async () => {
    const org = await organization('books');
    const guest = customer();
    const posted = await call('POST', '/v1/ledger/entries', org.admin, {
      description: 'Opening balance of the bank account',
      effectiveAt: '2030-01-01T00:00:00Z',
      postings: [
        { accountCode: '1010', currency: 'EUR', amount: 250_000 },
        { accountCode: '3000', currency: 'EUR', amount: -240_000 },
        { accountCode: '1200', currency: 'EUR', party: guest, amount: -10_000 },
      ],
      metadata: { note: 'from the old system' },
    });
    expect(posted.statusCode, posted.body).toBe(201);
    const entry = posted.json<EntryReply>();
    expect(entry).toMatchObject({
      description: 'Opening balance of the bank account',
      source: { type: 'manual', id: entry.id, event: 'posted' },
      effectiveAt: '2030-01-01T00:00:00.000Z',
      createdBy: org.admin.userId,
      reversesEntryId: null,
      reversedByEntryId: null,
      metadata: { note: 'from the old system' },
    });
    const byCode = Object.fromEntries(entry.postings.map((posting) => [posting.accountCode, posting]));
    expect(byCode['1010']).toMatchObject({
      accountName: 'Bank',
      amount: money(250_000),
      side: 'debit',
      balanceAfter: money(250_000),
      party: null,
    });
    // Equity grows on the credit side: its balance is shown there.
    expect(byCode['3000']).toMatchObject({ amount: money(-240_000), side: 'credit', balanceAfter: money(240_000) });
    expect(byCode['1200']).toMatchObject({ party: guest, side: 'credit', balanceAfter: money(-10_000) });

    expect((await call('GET', `/v1/ledger/entries/${entry.id}`, org.admin)).json()).toEqual(entry);
    expect(await auditOf(database.owner, org.id)).toEqual([
      expect.objectContaining({ action: 'CREATE', entityId: entry.id, actorType: 'user' }),
    ]);

    const reversed = await call('POST', `/v1/ledger/entries/${entry.id}/reverse`, org.admin, { reason: 'Wrong opening figures' });
    expect(reversed.statusCode, reversed.body).toBe(201);
    const reversal = reversed.json<EntryReply>();
    expect(reversal).toMatchObject({ reversesEntryId: entry.id, source: { type: 'reversal', id: entry.id, event: 'reversed' } });
    expect(reversal.postings.map((posting) => posting.balanceAfter.amount)).toEqual([0, 0, 0]);
    expect((await call('GET', `/v1/ledger/entries/${entry.id}`, org.admin)).json()).toMatchObject({ reversedByEntryId: reversal.id });

    expect((await call('POST', `/v1/ledger/entries/${entry.id}/reverse`, org.admin, { reason: 'Again' })).json()).toMatchObject({
      status: 409,
      code: 'ledger.already_reversed',
    });
    expect((await call('POST', `/v1/ledger/entries/${reversal.id}/reverse`, org.admin, { reason: 'Undo the undo' })).json()).toMatchObject({
      status: 409,
      code: 'ledger.reversal_not_reversible',
    });
    expect((await auditOf(database.owner, org.id)).map((row) => row.action)).toEqual(['CREATE', 'LEDGER_REVERSAL']);
    expect((await postedEvents(database.owner, org.id)).map((event) => event.sourceType)).toEqual(['manual', 'reversal']);
  });

  it('refuses unbalanced or malformed entries, and writes nothing', async () => {
    const org = await organization('refused');
    const attempt = (postings: object[], extra: object = {}) =>
      call('POST', '/v1/ledger/entries', org.admin, { description: 'Attempt', postings, ...extra });
    const bank = { accountCode: '1010', currency: 'EUR' };
    expect(
      (
        await attempt([
          { ...bank, amount: 100 },
          { accountCode: '4000', currency: 'EUR', amount: -90 },
        ])
      ).json(),
    ).toMatchObject({
      status: 422,
      code: 'ledger.unbalanced',
    });
    expect((await attempt([{ ...bank, amount: 100 }])).json()).toMatchObject({ status: 422, code: 'ledger.unbalanced' });
    expect(
      (
        await attempt([
          { ...bank, amount: 0 },
          { accountCode: '4000', currency: 'EUR', amount: 0 },
        ])
      ).json(),
    ).toMatchObject({
      status: 422,
      code: 'ledger.invalid_amount',
    });
    expect(
      (
        await attempt([
          { ...bank, amount: 100 },
          { accountCode: '2200', currency: 'EUR', amount: -100 },
        ])
      ).json(),
    ).toMatchObject({ status: 422, code: 'ledger.invalid_account' });
    expect(
      (
        await attempt([
          { ...bank, amount: 100, party: owner() },
          { accountCode: '4000', currency: 'EUR', amount: -100 },
        ])
      ).json(),
    ).toMatchObject({ status: 422, code: 'ledger.invalid_account' });
    // The shape is the schema's: a fraction of a minor unit, an unknown code or field.
    for (const postings of [
      [
        { ...bank, amount: 10.5 },
        { accountCode: '4000', currency: 'EUR', amount: -10.5 },
      ],
      [
        { ...bank, amount: 100 },
        { accountCode: '4999', currency: 'EUR', amount: -100 },
      ],
      [
        { ...bank, amount: 100, side: 'debit' },
        { accountCode: '4000', currency: 'EUR', amount: -100 },
      ],
    ]) {
      expect((await attempt(postings)).statusCode).toBe(400);
    }
    expect((await call('GET', '/v1/ledger/entries', org.admin)).json()).toMatchObject({ total: 0 });
    expect((await call('GET', '/v1/ledger/accounts', org.admin)).json()).toMatchObject({ total: 0 });
  });
});

describe('reading the ledger', () => {
  it('lists accounts with normal-side balances, statements with the balance after each posting, entries and the trial balance', async () => {
    const org = await organization('reader');
    const guest = customer();
    const landlord = owner();
    const post = (
      postings: Parameters<typeof postEntry>[2]['postings'],
      extra: { effectiveAt?: Date; source?: { type: string; id: string; event: string } } = {},
    ) =>
      inOrganization(database.db, org.id, (tx) =>
        postEntry(tx, testCaller(org.id), {
          orgId: org.id,
          description: 'Booking paid',
          source: extra.source ?? paymentSource(),
          postings,
          ...extra,
        }),
      );
    const paymentId = randomUUID();
    const charged = await post([line('1200', 30_000, 'EUR', guest), line('4000', -27_000), line('2600', -3_000)], {
      effectiveAt: new Date('2030-02-01T00:00:00Z'),
      source: { type: 'payment', id: paymentId, event: 'charged' },
    });
    await post([line('1100', 30_000, 'EUR', { type: 'provider', id: 'stripe' }), line('1200', -30_000, 'EUR', guest)], {
      effectiveAt: new Date('2030-02-02T00:00:00Z'),
      source: { type: 'payment', id: paymentId, event: 'succeeded' },
    });
    await post([line('4000', 20_000), line('2200', -20_000, 'EUR', landlord)], { effectiveAt: new Date('2030-03-01T00:00:00Z') });
    await post([line('1010', 5_000, 'USD'), line('3000', -5_000, 'USD')], { effectiveAt: new Date('2030-03-02T00:00:00Z') });

    const accounts = (await call('GET', '/v1/ledger/accounts', org.admin)).json<{ data: AccountReply[]; total: number }>();
    expect(accounts.total).toBe(7);
    expect(accounts.data.map((account) => `${account.code} ${account.currency}`)).toEqual([
      '1010 USD',
      '1100 EUR',
      '1200 EUR',
      '2200 EUR',
      '2600 EUR',
      '3000 USD',
      '4000 EUR',
    ]);
    const receivable = accounts.data.find((account) => account.code === '1200')!;
    expect(receivable).toMatchObject({
      name: 'Accounts receivable',
      type: 'asset',
      normalSide: 'debit',
      party: guest,
      balance: money(0),
      debits: money(30_000),
      credits: money(30_000),
      postingCount: 2,
    });
    expect(accounts.data.find((account) => account.code === '4000')).toMatchObject({
      normalSide: 'credit',
      balance: money(7_000),
      debits: money(20_000),
      credits: money(27_000),
    });
    const filtered = async (query: string) =>
      (await call('GET', `/v1/ledger/accounts?${query}`, org.admin)).json<{ data: AccountReply[] }>().data.map((account) => account.code);
    expect(await filtered('type=liability')).toEqual(['2200', '2600']);
    expect(await filtered('currency=USD')).toEqual(['1010', '3000']);
    expect(await filtered(`partyType=customer&partyId=${guest.id}`)).toEqual(['1200']);
    expect(await filtered('code=2200')).toEqual(['2200']);
    const paged = await call('GET', '/v1/ledger/accounts?pageSize=3&page=3', org.admin);
    expect(paged.json()).toMatchObject({ page: 3, pageSize: 3, total: 7 });
    expect(paged.headers['x-total-count']).toBe('7');

    expect((await call('GET', `/v1/ledger/accounts/${receivable.id}`, org.admin)).json()).toEqual(receivable);
    const statement = (await call('GET', `/v1/ledger/accounts/${receivable.id}/postings`, org.admin)).json<{
      data: {
        amount: { amount: number };
        side: string;
        balanceAfter: { amount: number };
        source: { event: string };
        description: string;
      }[];
      total: number;
    }>();
    expect(statement.total).toBe(2);
    expect(
      statement.data.map(({ amount, side, balanceAfter, source }) => [amount.amount, side, balanceAfter.amount, source.event]),
    ).toEqual([
      [-30_000, 'credit', 0, 'succeeded'],
      [30_000, 'debit', 30_000, 'charged'],
    ]);
    expect(statement.data[0]!.description).toBe('Booking paid');

    const entries = async (query: string) =>
      (await call('GET', `/v1/ledger/entries?${query}`, org.admin)).json<{ data: EntryReply[]; total: number }>();
    expect((await entries('')).total).toBe(4);
    expect((await entries(`sourceType=payment&sourceId=${paymentId}`)).data.map((entry) => entry.source.event)).toEqual([
      'succeeded',
      'charged',
    ]);
    expect((await entries('from=2030-02-01T00:00:00Z&to=2030-03-01T00:00:00Z')).total).toBe(2);
    expect((await entries('from=2030-03-01T00:00:00Z')).data[0]!.postings).toHaveLength(2);
    expect((await entries('pageSize=1')).data[0]!.postings.length).toBeGreaterThan(0);

    const trial = (await call('GET', '/v1/ledger/trial-balance', org.admin)).json<TrialBalanceReply>();
    expect(trial.balanced).toBe(true);
    expect(trial.totals).toEqual([
      { currency: 'EUR', debits: money(80_000), credits: money(80_000), balanced: true },
      { currency: 'USD', debits: money(5_000, 'USD'), credits: money(5_000, 'USD'), balanced: true },
    ]);
    expect(trial.accounts.find((account) => account.code === '2600')).toMatchObject({
      debits: money(0),
      credits: money(3_000),
      balance: money(3_000),
    });
    const early = (
      await call('GET', '/v1/ledger/trial-balance?currency=EUR&asOf=2030-02-01T12:00:00Z', org.admin)
    ).json<TrialBalanceReply>();
    expect(early).toMatchObject({ asOf: '2030-02-01T12:00:00.000Z', balanced: true });
    expect(early.accounts.map((account) => account.code)).toEqual(['1200', '2600', '4000']);
    expect(early.totals).toEqual([{ currency: 'EUR', debits: money(30_000), credits: money(30_000), balanced: true }]);
    expect(charged).not.toBeNull();
  });

  it('shows the balance checks, newest first', async () => {
    const org = await organization('checked');
    await inOrganization(database.db, org.id, (tx) =>
      postEntry(tx, testCaller(org.id), {
        orgId: org.id,
        description: 'Cash sale',
        source: paymentSource(),
        postings: [line('1000', 100), line('4200', -100)],
      }),
    );
    const logger = pino({ level: 'silent' });
    await checkLedgerBalances(database.db, logger, new Date('2030-01-01T10:00:00Z'));
    await checkLedgerBalances(database.db, logger, new Date('2030-01-01T11:00:00Z'));
    const checks = await call('GET', '/v1/ledger/balance-checks?pageSize=1', org.admin);
    expect(checks.statusCode, checks.body).toBe(200);
    expect(checks.json()).toMatchObject({
      total: 2,
      data: [{ checkedAt: '2030-01-01T11:00:00.000Z', accountsChecked: 2, ok: true, mismatches: [] }],
    });
  });
});

describe('access', () => {
  it('lets a viewer and a manager read but not post or reverse, and answers 404 for another organization’s objects', async () => {
    const org = await organization('access');
    const viewer = await member(org, 'viewer', 'viewer');
    const manager = await member(org, 'manager', 'manager');
    const desk = await member(org, 'desk', 'front_desk');
    const body = {
      description: 'Petty cash',
      postings: [
        { accountCode: '1000', currency: 'EUR', amount: 1_000 },
        { accountCode: '3000', currency: 'EUR', amount: -1_000 },
      ],
    };
    const entry = (await call('POST', '/v1/ledger/entries', org.admin, body)).json<EntryReply>();
    const accountId = entry.postings[0]!.accountId;
    for (const reader of [viewer, manager]) {
      expect((await call('GET', `/v1/ledger/entries/${entry.id}`, reader)).statusCode).toBe(200);
      expect((await call('GET', '/v1/ledger/trial-balance', reader)).statusCode).toBe(200);
      expect((await call('POST', '/v1/ledger/entries', reader, body)).json()).toMatchObject({ status: 403, code: 'access.denied' });
      expect((await call('POST', `/v1/ledger/entries/${entry.id}/reverse`, reader, { reason: 'No' })).json()).toMatchObject({
        status: 403,
        code: 'access.denied',
      });
    }
    expect((await call('GET', '/v1/ledger/accounts', desk)).json()).toMatchObject({ status: 403, code: 'access.denied' });

    const other = await organization('other');
    for (const url of [`/v1/ledger/entries/${entry.id}`, `/v1/ledger/accounts/${accountId}`, `/v1/ledger/accounts/${accountId}/postings`]) {
      expect((await call('GET', url, other.admin)).statusCode, url).toBe(404);
    }
    expect((await call('POST', `/v1/ledger/entries/${entry.id}/reverse`, other.admin, { reason: 'Not mine' })).json()).toMatchObject({
      status: 404,
      code: 'ledger.entry_not_found',
    });
    expect((await call('GET', '/v1/ledger/entries', other.admin)).json()).toMatchObject({ total: 0 });
    expect((await call('GET', '/v1/ledger/accounts', other.admin)).json()).toMatchObject({ total: 0 });
    const anonymous = await t.app.inject({ method: 'GET', url: '/v1/ledger/accounts' });
    expect(anonymous.statusCode).toBe(401);
  });
});
