import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, type Session } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { systemCaller } from '../../platform/audit/change.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { identityModule } from '../identity/index.ts';
import { organizationsModule } from '../organizations/index.ts';
import { createCustomer, customerFacts, customerForUser, customerIdsOfUser, customersModule } from './index.ts';
import type { CreatedCustomerReply, CustomerReply } from './schemas.ts';

let t: TestApp;

/** A matcher typed for use inside another matcher's expectation. */
const anyString: unknown = expect.any(String);

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule, customersModule] });
});
afterAll(() => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, session: Session, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(session.accessToken), ...(payload ? { payload } : {}) });

/** A new organization whose creator (its admin) acts in it. */
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

async function create(session: Session, body: object): Promise<CreatedCustomerReply> {
  const reply = await call('POST', '/v1/customers', session, body);
  if (reply.statusCode !== 201) throw new Error(reply.body);
  return reply.json();
}

async function auditOf(entityId: string) {
  const { rows } = await sql<{ action: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>`
    SELECT action, before, after FROM audit_log WHERE entity_type = 'customer' AND entity_id = ${entityId} ORDER BY occurred_at, id
  `.execute(t.database.owner);
  return rows;
}

async function eventsOf(orgId: string, type: string) {
  const { rows } = await sql<{ data: Record<string, unknown> }>`
    SELECT envelope -> 'data' AS data FROM outbox_event WHERE tenant_id = ${orgId} AND type = ${type} ORDER BY seq
  `.execute(t.database.owner);
  return rows.map((row) => row.data);
}

const inOrganization = <T>(orgId: string, work: Parameters<typeof transactionAsTenant<T>>[2]) =>
  transactionAsTenant(t.database.db, orgId, work);

describe('creating customers', () => {
  it('normalises contact details, lists duplicates by e-mail, and records the creation', async () => {
    const org = await organization('ana');
    const first = await create(org.admin, {
      firstName: ' Ana ',
      lastName: 'Silva',
      email: '  Ana.Silva@Example.COM ',
      phone: '+351 (0)21 234-5678',
      dateOfBirth: '1990-04-12',
      nationality: 'pt',
      notes: 'Prefers the top floor',
    });
    expect(first).toMatchObject({
      firstName: 'Ana',
      email: 'ana.silva@example.com',
      phone: '+351212345678',
      nationality: 'PT',
      blacklisted: false,
      mergedIntoId: null,
      possibleDuplicates: [],
    });
    const second = await create(org.admin, { firstName: 'Ana', lastName: 'Silva-Costa', email: 'ANA.SILVA@example.com' });
    expect(second.possibleDuplicates).toEqual([first.id]);
    // Another organization's records are never duplicates.
    const other = await organization('other');
    expect((await create(other.admin, { firstName: 'Ana', lastName: 'Silva', email: 'ana.silva@example.com' })).possibleDuplicates).toEqual(
      [],
    );

    const [created] = await auditOf(first.id);
    expect(created).toMatchObject({ action: 'CREATE', before: null, after: { email: 'ana.silva@example.com', phone: '+351212345678' } });
    expect(await eventsOf(org.id, 'customer.created')).toEqual([{ customerId: first.id }, { customerId: second.id }]);
  });

  it('refuses contact details it cannot normalise', async () => {
    const org = await organization('bad');
    for (const body of [
      { firstName: 'A', lastName: 'B', phone: '912 345' },
      { firstName: 'A', lastName: 'B', email: 'not-an-address' },
      { firstName: 'A', lastName: 'B', nationality: 'XX' },
      { firstName: 'A', lastName: 'B', dateOfBirth: '2999-01-01' },
      { firstName: '', lastName: 'B' },
    ]) {
      const reply = await call('POST', '/v1/customers', org.admin, body);
      expect(reply.statusCode, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('searching customers', () => {
  it('matches names (also misspelt), e-mail and phone, filters blacklisted, and pages', async () => {
    const org = await organization('search');
    const jonathan = await create(org.admin, {
      firstName: 'Jonathan',
      lastName: 'Whitaker',
      email: 'jw@harbour.test',
      phone: '+447700900123',
    });
    const maria = await create(org.admin, { firstName: 'Maria', lastName: 'Oliveira', email: 'maria@harbour.test' });
    const percent = await create(org.admin, { firstName: 'Zoe', lastName: '100% Real', phone: '+12025550100' });
    await call('POST', `/v1/customers/${maria.id}/blacklist`, org.admin, { reason: 'Damaged the flat' });
    const search = async (query: string) => {
      const reply = await call('GET', `/v1/customers?${query}`, org.admin);
      expect(reply.statusCode, reply.body).toBe(200);
      return reply.json<{ data: CustomerReply[]; total: number }>();
    };
    const ids = async (query: string) => (await search(query)).data.map((customer) => customer.id);

    expect(await ids('q=whit')).toEqual([jonathan.id]);
    expect(await ids('q=Jonathon%20Whitacker')).toEqual([jonathan.id]);
    expect(await ids('q=MARIA%40harbour')).toEqual([maria.id]);
    expect(await ids('q=7700%20900')).toEqual([jonathan.id]);
    expect(await ids('q=100%25')).toEqual([percent.id]);
    expect(await ids('q=harbour.test')).toHaveLength(2);
    expect(await ids('blacklisted=true')).toEqual([maria.id]);
    expect((await ids('blacklisted=false')).sort()).toEqual([jonathan.id, percent.id].sort());

    const page = await call('GET', '/v1/customers?pageSize=2&page=2', org.admin);
    expect(page.json()).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(page.json<{ data: unknown[] }>().data).toHaveLength(1);
    expect(page.headers['x-total-count']).toBe('3');
  });
});

describe('blacklisting', () => {
  it('blacklists with a reason and lifts it, each once, with audit entries and events', async () => {
    const org = await organization('black');
    const guest = await create(org.admin, { firstName: 'Bruno', lastName: 'Reis' });
    const blacklisted = await call('POST', `/v1/customers/${guest.id}/blacklist`, org.admin, { reason: 'Unpaid damage' });
    expect(blacklisted.json()).toMatchObject({ blacklisted: true, blacklistReason: 'Unpaid damage' });
    expect(blacklisted.json<{ blacklistedAt: string }>().blacklistedAt).toEqual(anyString);
    expect((await call('POST', `/v1/customers/${guest.id}/blacklist`, org.admin, { reason: 'again' })).json()).toMatchObject({
      status: 409,
      code: 'customers.already_blacklisted',
    });
    const lifted = await call('POST', `/v1/customers/${guest.id}/unblacklist`, org.admin);
    expect(lifted.json()).toMatchObject({ blacklisted: false, blacklistReason: null, blacklistedAt: null });
    expect((await call('POST', `/v1/customers/${guest.id}/unblacklist`, org.admin)).json()).toMatchObject({
      status: 409,
      code: 'customers.not_blacklisted',
    });

    const audit = await auditOf(guest.id);
    expect(audit.map((row) => row.action)).toEqual(['CREATE', 'BLACKLIST', 'STATUS_CHANGE']);
    expect(audit[1]).toMatchObject({ before: { blacklisted: false }, after: { blacklisted: true, blacklistReason: 'Unpaid damage' } });
    expect(await eventsOf(org.id, 'customer.blacklisted')).toEqual([{ customerId: guest.id, reason: 'Unpaid damage' }]);
    expect(await eventsOf(org.id, 'customer.unblacklisted')).toEqual([{ customerId: guest.id }]);
  });
});

describe('merging duplicates', () => {
  it('keeps one record, fills its empty fields, carries the blacklisting, and retires the duplicate', async () => {
    const org = await organization('merge');
    const kept = await create(org.admin, { firstName: 'Clara', lastName: 'Neves', email: 'clara@example.test', notes: 'VIP' });
    const duplicate = await create(org.admin, {
      firstName: 'Clarinha',
      lastName: 'Neves',
      email: 'other@example.test',
      phone: '+351912000111',
      nationality: 'BR',
      notes: 'Walk-in',
    });
    await call('POST', `/v1/customers/${duplicate.id}/blacklist`, org.admin, { reason: 'Chargeback' });

    const merged = await call('POST', `/v1/customers/${kept.id}/merge`, org.admin, { duplicateCustomerId: duplicate.id });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json()).toMatchObject({
      id: kept.id,
      firstName: 'Clara',
      email: 'clara@example.test',
      phone: '+351912000111',
      nationality: 'BR',
      notes: 'VIP',
      blacklisted: true,
      blacklistReason: 'Chargeback',
      mergedIntoId: null,
    });
    const retired = await call('GET', `/v1/customers/${duplicate.id}`, org.admin);
    expect(retired.json()).toMatchObject({ id: duplicate.id, mergedIntoId: kept.id, mergedAt: anyString });

    // Merged records are hidden from searches unless asked for.
    expect((await call('GET', '/v1/customers?q=neves', org.admin)).json<{ data: CustomerReply[] }>().data.map((c) => c.id)).toEqual([
      kept.id,
    ]);
    expect((await call('GET', '/v1/customers?q=neves&includeMerged=true', org.admin)).json<{ total: number }>().total).toBe(2);

    // A merged record is done with: no second merge either way, no changes.
    const third = await create(org.admin, { firstName: 'Clara', lastName: 'N.' });
    for (const [into, from] of [
      [third.id, duplicate.id],
      [duplicate.id, third.id],
    ]) {
      expect((await call('POST', `/v1/customers/${into}/merge`, org.admin, { duplicateCustomerId: from })).json()).toMatchObject({
        status: 409,
        code: 'customers.merged',
      });
    }
    expect((await call('PATCH', `/v1/customers/${duplicate.id}`, org.admin, { firstName: 'X' })).json()).toMatchObject({
      code: 'customers.merged',
    });
    expect((await call('POST', `/v1/customers/${third.id}/merge`, org.admin, { duplicateCustomerId: third.id })).json()).toMatchObject({
      status: 422,
      code: 'customers.merge_self',
    });

    const [entry] = (await auditOf(kept.id)).filter((row) => row.action === 'MERGE');
    expect(entry?.before).toMatchObject({
      customer: { id: kept.id, phone: null, blacklisted: false },
      duplicate: { id: duplicate.id, phone: '+351912000111', mergedIntoId: null },
    });
    expect(entry?.after).toMatchObject({ customer: { phone: '+351912000111', blacklisted: true }, duplicate: { mergedIntoId: kept.id } });
    expect((await auditOf(duplicate.id)).map((row) => row.action)).toEqual(['CREATE', 'BLACKLIST', 'MERGE']);
    expect(await eventsOf(org.id, 'customer.merged')).toEqual([{ customerId: duplicate.id, intoCustomerId: kept.id }]);
    const facts = await inOrganization(org.id, (tx) => customerFacts(tx, duplicate.id));
    expect(facts).toMatchObject({ id: duplicate.id, mergedIntoId: kept.id, blacklisted: true });
  });

  it('hands the duplicate’s login to a kept record without one', async () => {
    const org = await organization('logins');
    const user = await newUser(t.app, 'dina');
    const own = await inOrganization(org.id, (tx) =>
      customerForUser(
        tx,
        { userId: user.userId, email: user.email, firstName: 'Dina', lastName: 'Lopes' },
        systemCaller(org.id, { correlationId: uuidv7() }),
      ),
    );
    const kept = await create(org.admin, { firstName: 'Dina', lastName: 'Lopes', phone: '+351933000222' });
    const merged = await call('POST', `/v1/customers/${kept.id}/merge`, org.admin, { duplicateCustomerId: own.id });
    expect(merged.json()).toMatchObject({ userId: user.userId, email: user.email });
    // The user's own record is now the kept one.
    const again = await inOrganization(org.id, (tx) =>
      customerForUser(
        tx,
        { userId: user.userId, email: user.email, firstName: 'Dina', lastName: 'Lopes' },
        systemCaller(org.id, { correlationId: uuidv7() }),
      ),
    );
    expect(again.id).toBe(kept.id);
  });
});

describe('who sees which customers', () => {
  it('a customer member sees and changes only their own record, and never blacklists or merges', async () => {
    const org = await organization('scope');
    const someoneElse = await create(org.admin, { firstName: 'Eva', lastName: 'Mota' });
    const customer = await member(org, 'filipa', 'customer');
    const own = await inOrganization(org.id, (tx) =>
      customerForUser(
        tx,
        { userId: customer.userId, email: customer.email, firstName: 'Filipa', lastName: 'Rocha' },
        systemCaller(org.id, { correlationId: uuidv7() }),
      ),
    );

    const list = await call('GET', '/v1/customers', customer);
    expect(list.json<{ data: CustomerReply[] }>().data.map((c) => c.id)).toEqual([own.id]);
    expect((await call('GET', `/v1/customers/${own.id}`, customer)).json()).toMatchObject({ id: own.id, userId: customer.userId });
    expect((await call('GET', `/v1/customers/${someoneElse.id}`, customer)).statusCode).toBe(404);
    expect((await call('PATCH', `/v1/customers/${someoneElse.id}`, customer, { firstName: 'Hacked' })).statusCode).toBe(404);
    const renamed = await call('PATCH', `/v1/customers/${own.id}`, customer, { lastName: 'Rocha-Pinto', phone: '+351 961 000 333' });
    expect(renamed.json()).toMatchObject({ lastName: 'Rocha-Pinto', phone: '+351961000333' });
    expect((await call('PATCH', `/v1/customers/${own.id}`, customer, { notes: 'Lovely guest' })).json()).toMatchObject({
      status: 403,
      code: 'customers.staff_only_field',
    });
    expect((await call('POST', `/v1/customers/${own.id}/unblacklist`, customer)).json()).toMatchObject({ code: 'customers.staff_only' });
    expect((await call('POST', '/v1/customers', customer, { firstName: 'New', lastName: 'One' })).statusCode).toBe(403);

    const frontDesk = await member(org, 'gil', 'front_desk');
    expect((await call('POST', `/v1/customers/${own.id}/merge`, frontDesk, { duplicateCustomerId: someoneElse.id })).json()).toMatchObject({
      status: 403,
      code: 'access.denied',
    });
    expect((await call('GET', `/v1/customers/${someoneElse.id}`, frontDesk)).statusCode).toBe(200);
  });

  it('another organization’s customer is not found, its audit history included', async () => {
    const org = await organization('home');
    const rival = await organization('rival');
    const guest = await create(org.admin, { firstName: 'Hugo', lastName: 'Sá' });
    await call('PATCH', `/v1/customers/${guest.id}`, org.admin, { notes: 'Late arrival' });
    for (const [method, url, body] of [
      ['GET', `/v1/customers/${guest.id}`],
      ['PATCH', `/v1/customers/${guest.id}`, { firstName: 'X' }],
      ['POST', `/v1/customers/${guest.id}/blacklist`, { reason: 'x' }],
      ['GET', `/v1/customers/${guest.id}/audit`],
    ] as const) {
      expect((await call(method, url, rival.admin, body)).statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await call('GET', '/v1/customers', rival.admin)).json<{ total: number }>().total).toBe(0);

    const history = await call('GET', `/v1/customers/${guest.id}/audit`, org.admin);
    expect(history.statusCode, history.body).toBe(200);
    const entries = history.json<{ data: { action: string; before: unknown; after: unknown }[] }>().data;
    expect(entries.map((entry) => entry.action)).toEqual(['UPDATE', 'CREATE']);
    expect(entries[0]).toMatchObject({ before: { notes: null }, after: { notes: 'Late arrival' } });
  });
});

describe('what other modules call', () => {
  it('creates customers, finds or makes a user’s own record once, and lists a user’s ids', async () => {
    const org = await organization('api');
    const user = await newUser(t.app, 'ines');
    const actor = systemCaller(org.id, { correlationId: uuidv7() });
    const identity = { userId: user.userId, email: user.email.toUpperCase(), firstName: '', lastName: '' };
    const made = await inOrganization(org.id, (tx) => customerForUser(tx, identity, actor));
    expect(made).toMatchObject({ userId: user.userId, email: user.email, firstName: user.email.split('@')[0], lastName: '-' });
    const [found, concurrent] = await Promise.all([
      inOrganization(org.id, (tx) => customerForUser(tx, identity, actor)),
      inOrganization(org.id, (tx) => customerForUser(tx, identity, actor)),
    ]);
    expect([found.id, concurrent.id]).toEqual([made.id, made.id]);
    expect(await inOrganization(org.id, (tx) => customerIdsOfUser(tx, user.userId))).toEqual([made.id]);

    const created = await inOrganization(org.id, (tx) =>
      createCustomer(tx, { firstName: 'Joana', lastName: 'Dias', email: ' JOANA@Example.test', phone: '+351 912 111 222' }, actor),
    );
    expect(created).toMatchObject({ email: 'joana@example.test', phone: '+351912111222', blacklisted: false, mergedIntoId: null });
    await expect(
      inOrganization(org.id, (tx) => createCustomer(tx, { firstName: 'J', lastName: 'D', phone: '12' }, actor)),
    ).rejects.toMatchObject({
      code: 'customers.invalid_contact',
      status: 422,
    });
    // Another organization reads none of them.
    const other = await organization('elsewhere');
    expect(await inOrganization(other.id, (tx) => customerFacts(tx, created.id))).toBeUndefined();
  });
});
