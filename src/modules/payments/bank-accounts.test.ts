import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, type Session } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { systemCaller } from '../../platform/audit/change.ts';
import { dataEncryptionKeys } from '../../platform/config.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { DecryptionError } from '../../platform/encryption.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { TenureModule } from '../../platform/module.ts';
import { createCustomer, customerForUser, customersModule } from '../customers/index.ts';
import { identityModule } from '../identity/index.ts';
import { createInventoryFixture } from '../inventory/index.ts';
import { organizationsModule } from '../organizations/index.ts';
import { bankAccountRoutes } from './bank-account-routes.ts';
import { bankAccountForUse, type BankAccountView } from './bank-accounts.ts';

/** The routes on their own until the payments module registers them. */
const bankAccountsModule: TenureModule = { name: 'bank-accounts', routes: bankAccountRoutes };
const modules = [identityModule, organizationsModule, customersModule, bankAccountsModule];

const oldKey = `k2026:${randomBytes(32).toString('base64')}`;
const newKey = `k2027:${randomBytes(32).toString('base64')}`;

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules, config: { DATA_ENCRYPTION_KEYS: oldKey } });
});
afterAll(() => t.close());

type Method = 'GET' | 'POST';
const call = (method: Method, url: string, session: Session, payload?: object, app = t.app) =>
  app.inject({ method, url, headers: bearer(session.accessToken), ...(payload ? { payload } : {}) });

async function organization(label: string): Promise<{ id: string; admin: Session }> {
  const admin = await newUser(t.app, label);
  const created = await call('POST', '/v1/organizations', admin, { name: `${label} rentals` });
  const id = created.json<{ id: string }>().id;
  return { id, admin: await actIn(admin, id) };
}

async function actIn(session: Session, organizationId: string): Promise<Session> {
  const switched = await call('POST', `/v1/organizations/${organizationId}/switch`, session);
  if (switched.statusCode !== 200) throw new Error(switched.body);
  return { ...session, accessToken: switched.json<{ accessToken: string }>().accessToken };
}

async function member(org: { id: string; admin: Session }, label: string, role: string): Promise<Session> {
  const user = await newUser(t.app, label);
  const invited = await call('POST', `/v1/organizations/${org.id}/invitations`, org.admin, { email: user.email, role });
  await call('POST', '/v1/invitations/accept', user, { token: invited.json<{ token: string }>().token });
  return actIn(user, org.id);
}

const usAccount = (holderId: string, accountNumber: string, extra: object = {}) => ({
  holderType: 'owner',
  holderId,
  holderName: 'Marina Costa',
  bankName: 'Chase',
  country: 'US',
  currency: 'USD',
  accountType: 'checking',
  routingNumber: '021000021',
  accountNumber,
  ...extra,
});

async function add(session: Session, body: object, app = t.app): Promise<BankAccountView> {
  const reply = await call('POST', '/v1/bank-accounts', session, body, app);
  if (reply.statusCode !== 201) throw new Error(reply.body);
  return reply.json();
}

async function accountsOf(session: Session, query: string): Promise<BankAccountView[]> {
  const reply = await call('GET', `/v1/bank-accounts?${query}`, session);
  expect(reply.statusCode, reply.body).toBe(200);
  return reply.json<{ data: BankAccountView[] }>().data;
}

async function eventsOf(orgId: string) {
  const { rows } = await sql<{ type: string; data: Record<string, unknown> }>`
    SELECT type, envelope -> 'data' AS data FROM outbox_event WHERE tenant_id = ${orgId} AND type LIKE 'bank_account.%' ORDER BY seq
  `.execute(t.database.owner);
  return rows;
}

async function auditOf(entityId: string) {
  const { rows } = await sql<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>`
    SELECT action, before, after FROM audit_log WHERE entity_type = 'bank_account' AND entity_id = ${entityId} ORDER BY occurred_at, id
  `.execute(t.database.owner);
  return rows;
}

const storedRows = async (orgId: string) => {
  const { rows } = await sql<{ row: string }>`SELECT row_to_json(b)::text AS row FROM bank_account b WHERE org_id = ${orgId}`.execute(
    t.database.owner,
  );
  return rows.map((row) => row.row);
};

const inOrganization = <T>(orgId: string, work: Parameters<typeof transactionAsTenant<T>>[2]) =>
  transactionAsTenant(t.database.db, orgId, work);

describe('an owner’s bank accounts', () => {
  it('are added, listed, made primary and deactivated, showing only the last four digits', async () => {
    const org = await organization('ana');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);

    const firstReply = await call('POST', '/v1/bank-accounts', org.admin, usAccount(ownerId, '0001-2345-6789'));
    expect(firstReply.statusCode, firstReply.body).toBe(201);
    expect(firstReply.body).not.toContain('000123456789');
    const first = firstReply.json<BankAccountView>();
    expect(first).toMatchObject({
      holderType: 'owner',
      holderId: ownerId,
      routingNumber: '021000021',
      accountNumberLast4: '6789',
      isPrimary: true,
      active: true,
      deactivatedAt: null,
    });
    expect(first).not.toHaveProperty('accountNumber');

    const second = await add(org.admin, usAccount(ownerId, '55501234', { accountType: 'savings' }));
    expect(second.isPrimary).toBe(false);
    const third = await add(org.admin, usAccount(ownerId, '77700001111', { makePrimary: true }));
    expect(third.isPrimary).toBe(true);
    // The same number at another bank is another account.
    const elsewhere = await add(org.admin, usAccount(ownerId, '000123456789', { routingNumber: '322271627' }));

    const listed = await accountsOf(org.admin, `holderType=owner&holderId=${ownerId}`);
    expect(listed.map((account) => [account.id, account.isPrimary])).toEqual([
      [third.id, true],
      [elsewhere.id, false],
      [second.id, false],
      [first.id, false],
    ]);
    const page = await call('GET', '/v1/bank-accounts?pageSize=2&page=2', org.admin);
    expect(page.json()).toMatchObject({ page: 2, pageSize: 2, total: 4 });
    expect(page.headers['x-total-count']).toBe('4');

    const madePrimary = await call('POST', `/v1/bank-accounts/${second.id}/set-primary`, org.admin);
    expect(madePrimary.json()).toMatchObject({ id: second.id, isPrimary: true });
    expect((await call('GET', `/v1/bank-accounts/${third.id}`, org.admin)).json()).toMatchObject({ isPrimary: false });
    // Already primary: nothing changes.
    expect((await call('POST', `/v1/bank-accounts/${second.id}/set-primary`, org.admin)).json()).toMatchObject({ isPrimary: true });

    // The primary hands primacy to the newest other active account.
    const deactivated = await call('POST', `/v1/bank-accounts/${second.id}/deactivate`, org.admin);
    expect(deactivated.json()).toMatchObject({
      id: second.id,
      active: false,
      isPrimary: false,
      deactivatedAt: expect.any(String) as unknown,
    });
    expect((await accountsOf(org.admin, 'active=true')).map((account) => [account.id, account.isPrimary])).toEqual([
      [elsewhere.id, true],
      [third.id, false],
      [first.id, false],
    ]);
    // A non-primary one just goes.
    await call('POST', `/v1/bank-accounts/${first.id}/deactivate`, org.admin);
    expect((await call('GET', `/v1/bank-accounts/${elsewhere.id}`, org.admin)).json()).toMatchObject({ isPrimary: true });
    expect((await accountsOf(org.admin, 'active=false')).map((account) => account.id)).toEqual([second.id, first.id]);

    for (const action of ['set-primary', 'deactivate']) {
      expect((await call('POST', `/v1/bank-accounts/${first.id}/${action}`, org.admin)).json()).toMatchObject({
        status: 409,
        code: 'bank_accounts.inactive',
      });
    }
    // The last active account deactivated leaves the owner with none, and none primary.
    await call('POST', `/v1/bank-accounts/${third.id}/deactivate`, org.admin);
    await call('POST', `/v1/bank-accounts/${elsewhere.id}/deactivate`, org.admin);
    expect(await accountsOf(org.admin, 'active=true')).toEqual([]);
    // A deactivated number may be added again, and is the primary as the only active one.
    expect(await add(org.admin, usAccount(ownerId, '000123456789'))).toMatchObject({ isPrimary: true, accountNumberLast4: '6789' });

    const events = await eventsOf(org.id);
    expect(events.map((event) => event.type)).toEqual([
      'bank_account.added',
      'bank_account.added',
      'bank_account.added',
      'bank_account.primary_changed',
      'bank_account.added',
      'bank_account.primary_changed',
      'bank_account.deactivated',
      'bank_account.primary_changed',
      'bank_account.deactivated',
      'bank_account.deactivated',
      'bank_account.deactivated',
      'bank_account.added',
    ]);
    expect(events[0]?.data).toEqual({
      bankAccountId: first.id,
      holderType: 'owner',
      holderId: ownerId,
      accountNumberLast4: '6789',
      country: 'US',
      currency: 'USD',
      isPrimary: true,
    });
    expect(events[3]?.data).toEqual({ bankAccountId: third.id, previousBankAccountId: first.id, holderType: 'owner', holderId: ownerId });
    expect(events[6]?.data).toMatchObject({ bankAccountId: second.id, wasPrimary: true, newPrimaryBankAccountId: elsewhere.id });
    expect(events[7]?.data).toMatchObject({ bankAccountId: elsewhere.id, previousBankAccountId: second.id });
    expect(events[10]?.data).toMatchObject({ bankAccountId: elsewhere.id, wasPrimary: true, newPrimaryBankAccountId: null });

    const audit = await auditOf(second.id);
    expect(audit.map((row) => row.action)).toEqual(['CREATE', 'UPDATE', 'STATUS_CHANGE']);
    expect(audit[1]).toMatchObject({ before: { isPrimary: false }, after: { isPrimary: true } });
    const everything = JSON.stringify([events, ...(await Promise.all([first, second, third, elsewhere].map((a) => auditOf(a.id))))]);
    for (const number of ['000123456789', '55501234', '77700001111']) expect(everything).not.toContain(number);
  });

  it('are stored with the number sealed, never in clear, and opened for a payment or payout', async () => {
    const org = await organization('vault');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const account = await add(org.admin, usAccount(ownerId, '987654321012'));
    const [stored] = await storedRows(org.id);
    expect(stored).toBeDefined();
    expect(stored).not.toContain('987654321012');
    expect(stored).not.toContain('54321012');
    const { rows } = await sql<{ encrypted: string; keyId: string; last4: string; fingerprint: string }>`
      SELECT account_number_encrypted AS encrypted, account_number_key_id AS key_id, account_number_last4 AS last4,
             account_number_fingerprint AS fingerprint
      FROM bank_account WHERE id = ${account.id}
    `.execute(t.database.owner);
    expect(rows[0]).toMatchObject({ keyId: 'k2026', last4: '1012', fingerprint: expect.stringMatching(/^k2026:/) as unknown });
    expect(Buffer.from(rows[0]!.encrypted, 'base64')).toHaveLength(12 + 12 + 16);

    const keys = dataEncryptionKeys(t.config);
    const forUse = await inOrganization(org.id, (tx) => bankAccountForUse(tx, account.id, keys));
    expect(forUse).toEqual({
      id: account.id,
      holderType: 'owner',
      holderId: ownerId,
      holderName: 'Marina Costa',
      bankName: 'Chase',
      country: 'US',
      currency: 'USD',
      accountType: 'checking',
      routingNumber: '021000021',
      accountNumber: '987654321012',
      accountNumberLast4: '1012',
      isPrimary: true,
    });

    // Sealed for its own row: copied onto another, it does not open.
    const other = await add(org.admin, usAccount(ownerId, '11112222'));
    await sql`UPDATE bank_account SET account_number_encrypted = ${rows[0]!.encrypted} WHERE id = ${other.id}`.execute(t.database.owner);
    await expect(inOrganization(org.id, (tx) => bankAccountForUse(tx, other.id, keys))).rejects.toBeInstanceOf(DecryptionError);

    await call('POST', `/v1/bank-accounts/${account.id}/deactivate`, org.admin);
    await expect(inOrganization(org.id, (tx) => bankAccountForUse(tx, account.id, keys))).rejects.toMatchObject({
      status: 409,
      code: 'bank_accounts.inactive',
    });
    await expect(inOrganization(org.id, (tx) => bankAccountForUse(tx, uuidv7(), keys))).rejects.toMatchObject({
      code: 'bank_accounts.not_found',
    });
  });

  it('refuse bad numbers, unknown holders and the same account twice', async () => {
    const org = await organization('checks');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const refused = async (body: object) =>
      (await call('POST', '/v1/bank-accounts', org.admin, body)).json<{ status: number; code: string }>();
    expect(await refused(usAccount(ownerId, '12345678', { routingNumber: '021000022' }))).toMatchObject({
      status: 422,
      code: 'bank_accounts.invalid_routing_number',
    });
    expect(await refused(usAccount(ownerId, '123'))).toMatchObject({ status: 422, code: 'bank_accounts.invalid_account_number' });
    expect(await refused(usAccount(uuidv7(), '12345678'))).toMatchObject({ status: 404, code: 'bank_accounts.holder_not_found' });
    expect(await refused({ ...usAccount(ownerId, '12345678'), holderType: 'customer' })).toMatchObject({
      status: 404,
      code: 'bank_accounts.holder_not_found',
    });
    expect(await refused({ ...usAccount(ownerId, '12345678'), holderType: 'organization' })).toMatchObject({ status: 400 });
    expect(await refused({ ...usAccount(ownerId, '12345678'), cvv: '123' })).toMatchObject({ status: 400 });

    await add(org.admin, usAccount(ownerId, '12345678'));
    expect(await refused(usAccount(ownerId, '1234 5678'))).toMatchObject({ status: 409, code: 'bank_accounts.duplicate' });
    // Another holder may have the same account (a joint one, say).
    const company = await add(org.admin, { ...usAccount(ownerId, '12345678'), holderType: 'organization', holderId: undefined });
    expect(company).toMatchObject({ holderType: 'organization', holderId: null, isPrimary: true });

    // A UK account by sort code, a German one by IBAN alone.
    const uk = await add(org.admin, {
      ...usAccount(ownerId, '31926819'),
      country: 'GB',
      currency: 'GBP',
      routingNumber: '60-16-13',
    });
    expect(uk).toMatchObject({ routingNumber: '601613', accountNumberLast4: '6819' });
    const de = await add(org.admin, {
      ...usAccount(ownerId, 'de89 3704 0044 0532 0130 00'),
      country: 'DE',
      currency: 'EUR',
      routingNumber: null,
    });
    expect(de).toMatchObject({ routingNumber: null, accountNumberLast4: '3000' });
    expect(await refused({ ...usAccount(ownerId, 'DE89370400440532013000'), country: 'DE', routingNumber: 'COBADEFFXXX' })).toMatchObject({
      code: 'bank_accounts.duplicate',
    });
  });

  it('make exactly one primary when two first accounts are added at once', async () => {
    const org = await organization('race');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const replies = await Promise.all(
      ['10000001', '10000002', '10000003'].map((number) => call('POST', '/v1/bank-accounts', org.admin, usAccount(ownerId, number))),
    );
    expect(replies.map((reply) => reply.statusCode)).toEqual([201, 201, 201]);
    expect(replies.filter((reply) => reply.json<BankAccountView>().isPrimary)).toHaveLength(1);
  });
});

describe('the database', () => {
  it('holds every holder with active accounts to exactly one primary, checked at commit', async () => {
    const org = await organization('rules');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const primary = await add(org.admin, usAccount(ownerId, '20000001'));
    const other = await add(org.admin, usAccount(ownerId, '20000002'));

    const inTransaction = (statements: ReturnType<typeof sql>[]) =>
      t.database.owner.transaction().execute(async (tx) => {
        for (const statement of statements) await statement.execute(tx);
      });
    await expect(inTransaction([sql`UPDATE bank_account SET is_primary = true WHERE id = ${other.id}`])).rejects.toMatchObject({
      code: '23505',
      constraint: 'bank_account_primary_idx',
    });
    await expect(inTransaction([sql`UPDATE bank_account SET is_primary = false WHERE id = ${primary.id}`])).rejects.toThrow(
      /exactly one must be primary/,
    );
    // Moved within one transaction, in order, it holds at commit.
    await inTransaction([
      sql`UPDATE bank_account SET is_primary = false WHERE id = ${primary.id}`,
      sql`UPDATE bank_account SET is_primary = true WHERE id = ${other.id}`,
    ]);
    expect((await call('GET', `/v1/bank-accounts/${other.id}`, org.admin)).json()).toMatchObject({ isPrimary: true });
  });
});

describe('who reaches which accounts', () => {
  it('an owner member reaches only their own owner record’s accounts', async () => {
    const org = await organization('owners');
    const ownerLogin = await member(org, 'olga', 'owner');
    const mine = await createInventoryFixture(t.database.db, org.id, { owner: { name: 'Olga', userId: ownerLogin.userId } });
    const theirs = await createInventoryFixture(t.database.db, org.id, { owner: { name: 'Other owner' } });
    const own = await add(org.admin, usAccount(mine.ownerId, '30000001'));
    const foreign = await add(org.admin, usAccount(theirs.ownerId, '30000002'));
    const company = await add(org.admin, { ...usAccount(mine.ownerId, '30000003'), holderType: 'organization', holderId: undefined });

    expect((await accountsOf(ownerLogin, '')).map((account) => account.id)).toEqual([own.id]);
    expect((await accountsOf(ownerLogin, `holderId=${theirs.ownerId}`)).map((account) => account.id)).toEqual([]);
    expect((await call('GET', `/v1/bank-accounts/${own.id}`, ownerLogin)).statusCode).toBe(200);
    for (const id of [foreign.id, company.id]) {
      for (const [method, url] of [
        ['GET', `/v1/bank-accounts/${id}`],
        ['POST', `/v1/bank-accounts/${id}/set-primary`],
        ['POST', `/v1/bank-accounts/${id}/deactivate`],
      ] as const) {
        expect((await call(method, url, ownerLogin)).json(), `${method} ${url}`).toMatchObject({
          status: 404,
          code: 'bank_accounts.not_found',
        });
      }
    }

    // With payouts:create in their own scope, an owner manages their own accounts and no one else's.
    const added = await add(ownerLogin, usAccount(mine.ownerId, '30000004', { makePrimary: true }));
    expect(added).toMatchObject({ holderId: mine.ownerId, isPrimary: true });
    for (const body of [
      usAccount(theirs.ownerId, '30000005'),
      { ...usAccount(mine.ownerId, '30000006'), holderType: 'organization', holderId: undefined },
    ]) {
      expect((await call('POST', '/v1/bank-accounts', ownerLogin, body)).json()).toMatchObject({
        status: 404,
        code: 'bank_accounts.holder_not_found',
      });
    }
    expect((await call('POST', `/v1/bank-accounts/${own.id}/set-primary`, ownerLogin)).json()).toMatchObject({ isPrimary: true });

    // An owner member with no owner record reaches nothing.
    const stranger = await member(org, 'sam', 'owner');
    expect(await accountsOf(stranger, '')).toEqual([]);
    expect((await call('GET', `/v1/bank-accounts/${own.id}`, stranger)).statusCode).toBe(404);
  });

  it('a customer member adds and reads only their own customer record’s accounts', async () => {
    const org = await organization('guests');
    const guest = await member(org, 'gil', 'customer');
    const actor = systemCaller(org.id, { correlationId: uuidv7() });
    const own = await inOrganization(org.id, (tx) =>
      customerForUser(tx, { userId: guest.userId, email: guest.email, firstName: 'Gil', lastName: 'Reis' }, actor),
    );
    const someoneElse = await inOrganization(org.id, (tx) => createCustomer(tx, { firstName: 'Eva', lastName: 'Mota' }, actor));
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const ownerAccount = await add(org.admin, usAccount(ownerId, '40000001'));

    const customerAccount = (holderId: string, accountNumber: string) => ({
      ...usAccount(holderId, accountNumber),
      holderType: 'customer',
      holderName: 'Gil Reis',
    });
    const added = await add(guest, customerAccount(own.id, '40000002'));
    expect(added).toMatchObject({ holderType: 'customer', holderId: own.id, isPrimary: true });
    expect((await call('POST', '/v1/bank-accounts', guest, customerAccount(someoneElse.id, '40000003'))).json()).toMatchObject({
      status: 404,
      code: 'bank_accounts.holder_not_found',
    });
    const staffAdded = await add(org.admin, customerAccount(someoneElse.id, '40000004'));

    expect((await accountsOf(guest, '')).map((account) => account.id)).toEqual([added.id]);
    expect((await call('GET', `/v1/bank-accounts/${staffAdded.id}`, guest)).statusCode).toBe(404);
    expect((await call('GET', `/v1/bank-accounts/${ownerAccount.id}`, guest)).statusCode).toBe(404);
    expect((await call('POST', `/v1/bank-accounts/${staffAdded.id}/deactivate`, guest)).statusCode).toBe(404);
    expect((await call('GET', '/v1/bank-accounts?holderType=owner', guest)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await call('POST', `/v1/bank-accounts/${added.id}/deactivate`, guest)).json()).toMatchObject({ active: false });

    // Front desk: customers' accounts (payments), not owners' (payouts).
    const desk = await member(org, 'desk', 'front_desk');
    expect((await accountsOf(desk, '')).every((account) => account.holderType === 'customer')).toBe(true);
    expect((await call('GET', `/v1/bank-accounts/${ownerAccount.id}`, desk)).statusCode).toBe(404);
    expect((await call('POST', '/v1/bank-accounts', desk, usAccount(ownerId, '40000005'))).json()).toMatchObject({ code: 'access.denied' });
    const housekeeper = await member(org, 'hk', 'housekeeping');
    expect((await call('GET', '/v1/bank-accounts', housekeeper)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await t.app.inject({ method: 'GET', url: '/v1/bank-accounts' })).statusCode).toBe(401);
  });

  it('another organization’s account is not found', async () => {
    const org = await organization('home');
    const rival = await organization('rival');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const account = await add(org.admin, usAccount(ownerId, '50000001'));
    for (const [method, url] of [
      ['GET', `/v1/bank-accounts/${account.id}`],
      ['POST', `/v1/bank-accounts/${account.id}/set-primary`],
      ['POST', `/v1/bank-accounts/${account.id}/deactivate`],
    ] as const) {
      expect((await call(method, url, rival.admin)).json(), `${method} ${url}`).toMatchObject({
        status: 404,
        code: 'bank_accounts.not_found',
      });
    }
    expect((await call('GET', '/v1/bank-accounts', rival.admin)).json()).toMatchObject({ total: 0 });
    expect((await call('POST', '/v1/bank-accounts', rival.admin, usAccount(ownerId, '50000002'))).json()).toMatchObject({
      status: 404,
      code: 'bank_accounts.holder_not_found',
    });
    await expect(inOrganization(rival.id, (tx) => bankAccountForUse(tx, account.id, dataEncryptionKeys(t.config)))).rejects.toMatchObject({
      code: 'bank_accounts.not_found',
    });
  });
});

describe('a key rotation', () => {
  it('keeps old rows readable with the old key listed after the new one, and still finds duplicates', async () => {
    const org = await organization('rotate');
    const { ownerId } = await createInventoryFixture(t.database.db, org.id);
    const before = await add(org.admin, usAccount(ownerId, '60000001'));

    const rotated = await buildTestApp({ modules, database: t.database, config: { DATA_ENCRYPTION_KEYS: `${newKey},${oldKey}` } });
    try {
      const keys = dataEncryptionKeys(rotated.config);
      expect((await inOrganization(org.id, (tx) => bankAccountForUse(tx, before.id, keys))).accountNumber).toBe('60000001');
      expect((await call('POST', '/v1/bank-accounts', org.admin, usAccount(ownerId, '60000001'), rotated.app)).json()).toMatchObject({
        status: 409,
        code: 'bank_accounts.duplicate',
      });
      const after = await add(org.admin, usAccount(ownerId, '60000002'), rotated.app);
      const { rows } = await sql<{ id: string; keyId: string }>`
        SELECT id, account_number_key_id AS key_id FROM bank_account WHERE org_id = ${org.id} ORDER BY created_at
      `.execute(t.database.owner);
      expect(rows).toEqual([
        { id: before.id, keyId: 'k2026' },
        { id: after.id, keyId: 'k2027' },
      ]);
      expect((await inOrganization(org.id, (tx) => bankAccountForUse(tx, after.id, keys))).accountNumber).toBe('60000002');

      // With the old key dropped too soon, its rows say which key they need.
      const newOnly = dataEncryptionKeys({ DATA_ENCRYPTION_KEYS: newKey });
      await expect(inOrganization(org.id, (tx) => bankAccountForUse(tx, before.id, newOnly))).rejects.toThrow(
        /"k2026", which is no longer listed/,
      );
    } finally {
      await rotated.close();
    }
  });
});
