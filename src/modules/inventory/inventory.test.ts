import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemCaller } from '../../platform/audit/change.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { bearer, newUser, type Session } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from '../identity/index.ts';
import { organizationsModule } from '../organizations/index.ts';
import {
  createInventoryFixture,
  inventoryModule,
  markUnitDirty,
  propertyFacts,
  propertyIdsOwnedBy,
  unitFacts,
  unitsOfType,
  unitTypeFacts,
} from './index.ts';
import { sampleProperty } from './test-support.ts';

let t: TestApp;
let orgId: string;
let admin: Session;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, session: Session, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(session.accessToken), ...(payload ? { payload } : {}) });

async function switched(session: Session, organizationId: string): Promise<Session> {
  const reply = await call('POST', `/v1/organizations/${organizationId}/switch`, session);
  expect(reply.statusCode).toBe(200);
  return { ...session, accessToken: reply.json<{ accessToken: string }>().accessToken };
}

async function organization(label: string): Promise<{ id: string; admin: Session }> {
  const user = await newUser(t.app, label);
  const created = await call('POST', '/v1/organizations', user, { name: `${label} rentals` });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  return { id, admin: await switched(user, id) };
}

/** A new user who joined the organization in this role and acts in it. */
async function member(role: string, organizationId = orgId, inviter = admin): Promise<Session> {
  const user = await newUser(t.app, role);
  const invited = await call('POST', `/v1/organizations/${organizationId}/invitations`, inviter, { email: user.email, role });
  expect(invited.statusCode).toBe(201);
  const accepted = await call('POST', '/v1/invitations/accept', user, { token: invited.json<{ token: string }>().token });
  expect(accepted.statusCode).toBe(200);
  return switched(user, organizationId);
}

const property = (overrides: Record<string, unknown> = {}) => ({ ...sampleProperty, ...overrides });

async function created<T = { id: string }>(method: Method, url: string, session: Session, payload: object): Promise<T> {
  const reply = await call(method, url, session, payload);
  expect(reply.statusCode, reply.body).toBe(201);
  return reply.json<T>();
}

interface AuditRow {
  action: string;
  entityType: string;
  entityId: string;
  actorUserId: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

async function auditOf(entityId: string): Promise<AuditRow[]> {
  const { rows } = await sql<AuditRow>`
    SELECT action, entity_type, entity_id, actor_user_id, before, after FROM audit_log
    WHERE entity_id = ${entityId} ORDER BY occurred_at, id
  `.execute(t.database.owner);
  return rows;
}

async function eventsOf(aggregateId: string): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const { rows } = await sql<{ type: string; envelope: { data: Record<string, unknown> } }>`
    SELECT type, envelope FROM outbox_event WHERE aggregate_id = ${aggregateId} ORDER BY seq
  `.execute(t.database.owner);
  return rows.map((row) => ({ type: row.type, data: row.envelope.data }));
}

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule, inventoryModule] });
  ({ id: orgId, admin } = await organization('ada'));
});
afterAll(() => t.close());

describe('property owners', () => {
  it('are created, read, searched, changed and deleted, each change audited with before and after', async () => {
    const owner = await created<{ id: string; email: string }>('POST', '/v1/owners', admin, {
      name: 'Quinta Holdings',
      email: ' Office@Quinta.Example ',
      phone: '+351912345678',
    });
    expect(owner).toMatchObject({ name: 'Quinta Holdings', email: 'office@quinta.example', phone: '+351912345678', userId: null });
    expect((await call('GET', `/v1/owners/${owner.id}`, admin)).json()).toEqual(owner);

    await created('POST', '/v1/owners', admin, { name: 'Rui Almeida' });
    const found = await call('GET', '/v1/owners?q=quinta', admin);
    expect(found.json<{ data: { id: string }[]; total: number }>()).toMatchObject({ total: 1, data: [{ id: owner.id }] });
    expect((await call('GET', '/v1/owners?q=office%40quinta', admin)).json<{ total: number }>().total).toBe(1);
    expect(found.headers['x-total-count']).toBe('1');

    const patched = await call('PATCH', `/v1/owners/${owner.id}`, admin, { name: 'Quinta Holdings Lda', phone: null });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ name: 'Quinta Holdings Lda', phone: null, email: 'office@quinta.example' });

    expect((await call('DELETE', `/v1/owners/${owner.id}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/v1/owners/${owner.id}`, admin)).json()).toMatchObject({ status: 404, code: 'inventory.owner_not_found' });

    const audit = await auditOf(owner.id);
    expect(audit.map((row) => row.action)).toEqual(['CREATE', 'UPDATE', 'DELETE']);
    expect(audit[1]).toMatchObject({
      entityType: 'property_owner',
      actorUserId: admin.userId,
      before: { name: 'Quinta Holdings', phone: '+351912345678' },
      after: { name: 'Quinta Holdings Lda', phone: null },
    });
    expect(audit[2]?.before).toMatchObject({ name: 'Quinta Holdings Lda' });
    expect((await eventsOf(owner.id)).map((event) => event.type)).toEqual([
      'property_owner.created',
      'property_owner.updated',
      'property_owner.deleted',
    ]);
  });

  it('refuses invalid fields, a login already linked to another owner, and deleting an owner of properties', async () => {
    const invalid = await call('POST', '/v1/owners', admin, { name: '', email: 'not-an-email', phone: '912345678' });
    expect(invalid.statusCode).toBe(400);
    expect(
      invalid
        .json<{ errors: { path: string }[] }>()
        .errors.map((error) => error.path)
        .sort(),
    ).toEqual(['body.email', 'body.name', 'body.phone']);

    const login = await newUser(t.app, 'olga');
    const owner = await created('POST', '/v1/owners', admin, { name: 'Olga', userId: login.userId });
    expect((await call('POST', '/v1/owners', admin, { name: 'Olga again', userId: login.userId })).json()).toMatchObject({
      status: 409,
      code: 'inventory.owner_user_taken',
    });

    await created('POST', '/v1/properties', admin, property({ ownerId: owner.id, name: 'Olga’s flat' }));
    expect((await call('DELETE', `/v1/owners/${owner.id}`, admin)).json()).toMatchObject({
      status: 409,
      code: 'inventory.owner_has_properties',
    });
  });
});

describe('properties', () => {
  it('are created with their address, position, time zone, currency, times, amenities and images', async () => {
    const owner = await created('POST', '/v1/owners', admin, { name: 'Casa Azul' });
    const body = property({
      ownerId: owner.id,
      name: 'Casa Azul',
      category: 'residential',
      propertyType: 'apartment',
      addressLine2: '3º esq.',
      region: 'Lisboa',
      postalCode: '1100-001',
      country: 'pt',
      latitude: 38.7071,
      longitude: -9.13549,
      checkInTime: '16:00',
      checkOutTime: '10:30',
      amenities: ['wifi', 'kitchen', 'wifi'],
      images: [{ url: 'https://images.example/1.jpg', caption: 'Living room' }, { url: 'https://images.example/2.jpg' }],
    });
    const made = await created<Record<string, unknown> & { id: string }>('POST', '/v1/properties', admin, body);
    expect(made).toMatchObject({
      ...body,
      country: 'PT',
      amenities: ['wifi', 'kitchen'],
      images: [{ url: 'https://images.example/1.jpg', caption: 'Living room' }, { url: 'https://images.example/2.jpg' }],
    });
    expect((await call('GET', `/v1/properties/${made.id}`, admin)).json()).toEqual(made);
    const defaults = await created('POST', '/v1/properties', admin, property({ name: 'Defaults' }));
    expect(defaults).toMatchObject({
      checkInTime: '15:00',
      checkOutTime: '11:00',
      amenities: [],
      images: [],
      latitude: null,
      ownerId: null,
    });

    const [audit] = await auditOf(made.id);
    expect(audit).toMatchObject({ action: 'CREATE', entityType: 'property', before: null, after: { name: 'Casa Azul', currency: 'EUR' } });
    expect(await eventsOf(made.id)).toEqual([
      {
        type: 'property.created',
        data: { propertyId: made.id, name: 'Casa Azul', category: 'residential', currency: 'EUR', timeZone: 'Europe/Lisbon' },
      },
    ]);
  });

  it('refuses a bad time zone, currency, country, times, image URL, and a latitude without a longitude, with field errors', async () => {
    const reply = await call(
      'POST',
      '/v1/properties',
      admin,
      property({
        timeZone: 'Europe/Atlantis',
        currency: 'EUX',
        country: 'XX',
        checkInTime: '25:00',
        images: [{ url: 'http://images.example/1.jpg' }],
      }),
    );
    expect(reply.statusCode).toBe(400);
    expect(reply.headers['content-type']).toContain('application/problem+json');
    const problem = reply.json<{ code: string; errors: { path: string }[] }>();
    expect(problem.code).toBe('request.validation_failed');
    expect(problem.errors.map((error) => error.path).sort()).toEqual([
      'body.checkInTime',
      'body.country',
      'body.currency',
      'body.images.0.url',
      'body.timeZone',
    ]);

    const halfPosition = await call('POST', '/v1/properties', admin, property({ latitude: 38.7 }));
    expect(halfPosition.statusCode).toBe(400);
    expect(halfPosition.json<{ errors: { path: string; message: string }[] }>().errors).toEqual([
      expect.objectContaining({ path: 'body.longitude', message: 'Latitude and longitude are given together' }),
    ]);
    const unknownOwner = await call('POST', '/v1/properties', admin, property({ ownerId: '0190c3a4-0000-7000-8000-000000000000' }));
    expect(unknownOwner.json()).toMatchObject({ status: 422, code: 'inventory.owner_unknown' });
    const unknownField = await call('POST', '/v1/properties', admin, property({ stars: 5 }));
    expect(unknownField.json<{ errors: { path: string }[] }>().errors).toEqual([expect.objectContaining({ path: 'body.stars' })]);
  });

  it('are listed a page at a time, filtered by category, city and owner', async () => {
    const other = await organization('lister');
    const owner = await created('POST', '/v1/owners', other.admin, { name: 'Lena' });
    await created('POST', '/v1/properties', other.admin, property({ name: 'A hotel', city: 'Porto' }));
    await created('POST', '/v1/properties', other.admin, property({ name: 'B office', category: 'commercial', propertyType: 'office' }));
    await created(
      'POST',
      '/v1/properties',
      other.admin,
      property({ name: 'C plot', category: 'plot', propertyType: 'land', ownerId: owner.id }),
    );

    const names = async (query: string) =>
      (await call('GET', `/v1/properties${query}`, other.admin)).json<{ data: { name: string }[] }>().data.map((item) => item.name);
    expect(await names('')).toEqual(['A hotel', 'B office', 'C plot']);
    expect(await names('?category=commercial')).toEqual(['B office']);
    expect(await names('?city=porto')).toEqual(['A hotel']);
    expect(await names(`?ownerId=${owner.id}`)).toEqual(['C plot']);
    const page = await call('GET', '/v1/properties?page=2&pageSize=2', other.admin);
    expect(page.json()).toMatchObject({ page: 2, pageSize: 2, total: 3, data: [{ name: 'C plot' }] });
    expect(page.headers.link).toContain('rel="prev"');
    expect((await call('GET', '/v1/properties?category=castle', other.admin)).statusCode).toBe(400);
  });

  it('keep their currency and time zone once they have units, and are deleted only without units', async () => {
    const made = await created<{ id: string }>('POST', '/v1/properties', admin, property({ name: 'Locked' }));
    const changed = await call('PATCH', `/v1/properties/${made.id}`, admin, { currency: 'usd', timeZone: 'America/New_York' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ currency: 'USD', timeZone: 'America/New_York' });

    const unitType = await created('POST', `/v1/properties/${made.id}/unit-types`, admin, {
      name: 'Studio',
      code: 'STU',
      maxOccupancy: 2,
      maxAdults: 2,
    });
    const unit = await created('POST', `/v1/properties/${made.id}/units`, admin, { unitTypeId: unitType.id, name: '1A' });

    for (const change of [{ currency: 'EUR' }, { timeZone: 'Europe/Lisbon' }]) {
      expect((await call('PATCH', `/v1/properties/${made.id}`, admin, change)).json()).toMatchObject({
        status: 409,
        code: 'inventory.property_settings_locked',
      });
    }
    // The same values, and every other field, still change.
    const renamed = await call('PATCH', `/v1/properties/${made.id}`, admin, {
      currency: 'USD',
      name: 'Unlocked?',
      latitude: 1,
      longitude: 2,
    });
    expect(renamed.json()).toMatchObject({ name: 'Unlocked?', latitude: 1, longitude: 2 });
    expect((await call('PATCH', `/v1/properties/${made.id}`, admin, { latitude: null })).statusCode).toBe(400);
    expect((await call('PATCH', `/v1/properties/${made.id}`, admin, { latitude: null, longitude: null })).json()).toMatchObject({
      latitude: null,
      longitude: null,
    });

    expect((await call('DELETE', `/v1/properties/${made.id}`, admin)).json()).toMatchObject({
      status: 409,
      code: 'inventory.property_has_units',
    });
    expect((await call('DELETE', `/v1/units/${unit.id}`, admin)).statusCode).toBe(204);
    expect((await call('DELETE', `/v1/properties/${made.id}`, admin)).statusCode).toBe(204);
    expect((await call('GET', `/v1/unit-types/${unitType.id}`, admin)).statusCode).toBe(404);
    expect((await auditOf(unitType.id)).map((row) => row.action)).toEqual(['CREATE', 'DELETE']);

    const updates = (await auditOf(made.id)).filter((row) => row.action === 'UPDATE');
    expect(updates[0]).toMatchObject({
      before: { currency: 'EUR', timeZone: 'Europe/Lisbon' },
      after: { currency: 'USD', timeZone: 'America/New_York' },
    });
    expect((await eventsOf(made.id)).map((event) => event.type)).toEqual([
      'property.created',
      'property.updated',
      'property.updated',
      'property.updated',
      'property.deleted',
    ]);
  });

  it('show their audit history to readers of the audit log, newest first', async () => {
    const made = await created<{ id: string }>('POST', '/v1/properties', admin, property({ name: 'Audited' }));
    await call('PATCH', `/v1/properties/${made.id}`, admin, { name: 'Audited twice' });
    const history = await call('GET', `/v1/properties/${made.id}/audit`, admin);
    expect(history.statusCode).toBe(200);
    expect(history.json<{ data: { action: string; before: unknown; after: unknown }[] }>().data).toEqual([
      expect.objectContaining({ action: 'UPDATE', before: expect.objectContaining({ name: 'Audited' }) as unknown }),
      expect.objectContaining({ action: 'CREATE', after: expect.objectContaining({ name: 'Audited' }) as unknown }),
    ]);
    const frontDesk = await member('front_desk');
    expect((await call('GET', `/v1/properties/${made.id}/audit`, frontDesk)).json()).toMatchObject({ status: 403 });
    const stranger = await organization('stranger');
    expect((await call('GET', `/v1/properties/${made.id}/audit`, stranger.admin)).json()).toMatchObject({
      status: 404,
      code: 'inventory.property_not_found',
    });
  });
});

describe('unit types and units', () => {
  let propertyId: string;
  let unitTypeId: string;

  beforeAll(async () => {
    propertyId = (await created('POST', '/v1/properties', admin, property({ name: 'Rooms' }))).id;
    unitTypeId = (
      await created('POST', `/v1/properties/${propertyId}/unit-types`, admin, {
        name: 'Deluxe king',
        code: 'dlx-king',
        description: 'Sea view',
        maxOccupancy: 3,
        maxAdults: 2,
        beds: [{ type: 'king', count: 1 }],
      })
    ).id;
  });

  it('keep unit type codes unique per property and adults within capacity', async () => {
    expect((await call('GET', `/v1/unit-types/${unitTypeId}`, admin)).json()).toMatchObject({
      propertyId,
      code: 'DLX-KING',
      maxOccupancy: 3,
      maxAdults: 2,
      beds: [{ type: 'king', count: 1 }],
    });
    const again = await call('POST', `/v1/properties/${propertyId}/unit-types`, admin, {
      name: 'Other',
      code: 'DLX-KING',
      maxOccupancy: 2,
      maxAdults: 2,
    });
    expect(again.json()).toMatchObject({ status: 409, code: 'inventory.unit_type_code_taken' });
    const crowded = await call('POST', `/v1/properties/${propertyId}/unit-types`, admin, {
      name: 'X',
      code: 'X',
      maxOccupancy: 2,
      maxAdults: 3,
    });
    expect(crowded.json()).toMatchObject({ status: 400, errors: [{ path: 'body.maxAdults' }] });
    expect((await call('PATCH', `/v1/unit-types/${unitTypeId}`, admin, { maxOccupancy: 1 })).json()).toMatchObject({
      status: 422,
      code: 'inventory.capacity_invalid',
    });
    const patched = await call('PATCH', `/v1/unit-types/${unitTypeId}`, admin, {
      maxOccupancy: 4,
      beds: [
        { type: 'king', count: 1 },
        { type: 'sofa_bed', count: 1 },
      ],
    });
    expect(patched.json()).toMatchObject({ maxOccupancy: 4, beds: [{ type: 'king' }, { type: 'sofa_bed' }] });
    const [, update] = await auditOf(unitTypeId);
    expect(update).toMatchObject({ action: 'UPDATE', before: { maxOccupancy: 3 }, after: { maxOccupancy: 4 } });
    const list = await call('GET', `/v1/properties/${propertyId}/unit-types`, admin);
    expect(list.json()).toMatchObject({ total: 1, data: [{ id: unitTypeId }] });
  });

  it('are created only of the property’s unit types, with unique names, listed by filters', async () => {
    const elsewhere = await created('POST', '/v1/properties', admin, property({ name: 'Elsewhere' }));
    const foreignType = await created('POST', `/v1/properties/${elsewhere.id}/unit-types`, admin, {
      name: 'T',
      code: 'T',
      maxOccupancy: 1,
      maxAdults: 1,
    });
    expect(
      (await call('POST', `/v1/properties/${propertyId}/units`, admin, { unitTypeId: foreignType.id, name: '101' })).json(),
    ).toMatchObject({
      status: 422,
      code: 'inventory.unit_type_not_in_property',
    });

    const first = await created<{ id: string }>('POST', `/v1/properties/${propertyId}/units`, admin, {
      unitTypeId,
      name: '101',
      floor: '1',
    });
    expect(first).toMatchObject({
      propertyId,
      unitTypeId,
      name: '101',
      floor: '1',
      housekeepingStatus: 'clean',
      operationalStatus: 'in_service',
    });
    await created('POST', `/v1/properties/${propertyId}/units`, admin, { unitTypeId, name: '201', floor: '2' });
    expect((await call('POST', `/v1/properties/${propertyId}/units`, admin, { unitTypeId, name: '101' })).json()).toMatchObject({
      status: 409,
      code: 'inventory.unit_name_taken',
    });
    expect((await call('PATCH', `/v1/units/${first.id}`, admin, { unitTypeId: foreignType.id })).json()).toMatchObject({
      status: 422,
      code: 'inventory.unit_type_not_in_property',
    });
    expect((await call('PATCH', `/v1/units/${first.id}`, admin, { name: '102' })).json()).toMatchObject({ name: '102' });

    const names = async (query: string) =>
      (await call('GET', `/v1/properties/${propertyId}/units${query}`, admin))
        .json<{ data: { name: string }[] }>()
        .data.map((unit) => unit.name);
    expect(await names('')).toEqual(['102', '201']);
    expect(await names('?floor=2')).toEqual(['201']);
    expect(await names(`?unitTypeId=${unitTypeId}&housekeepingStatus=clean&operationalStatus=in_service`)).toEqual(['102', '201']);
    expect(await names('?housekeepingStatus=dirty')).toEqual([]);

    expect((await call('DELETE', `/v1/unit-types/${unitTypeId}`, admin)).json()).toMatchObject({
      status: 409,
      code: 'inventory.unit_type_in_use',
    });
    expect((await call('DELETE', `/v1/unit-types/${foreignType.id}`, admin)).statusCode).toBe(204);
  });

  it('move through housekeeping statuses: inspected only once clean, each change audited and published', async () => {
    const unit = await created<{ id: string }>('POST', `/v1/properties/${propertyId}/units`, admin, { unitTypeId, name: '301' });
    const housekeeper = await member('housekeeping');
    const set = (status: string) => call('POST', `/v1/units/${unit.id}/housekeeping-status`, housekeeper, { status });

    expect((await set('dirty')).json()).toMatchObject({ housekeepingStatus: 'dirty' });
    expect((await set('inspected')).json()).toMatchObject({ status: 409, code: 'inventory.inspection_requires_clean' });
    expect((await set('clean')).json()).toMatchObject({ housekeepingStatus: 'clean' });
    expect((await set('inspected')).json()).toMatchObject({ housekeepingStatus: 'inspected' });
    expect((await set('inspected')).statusCode).toBe(200);
    expect((await set('sparkling')).statusCode).toBe(400);

    const housekeeping = (await auditOf(unit.id)).filter((row) => row.action === 'HOUSEKEEPING');
    expect(housekeeping.map((row) => [row.before, row.after, row.actorUserId])).toEqual([
      [{ housekeepingStatus: 'clean' }, { housekeepingStatus: 'dirty' }, housekeeper.userId],
      [{ housekeepingStatus: 'dirty' }, { housekeepingStatus: 'clean' }, housekeeper.userId],
      [{ housekeepingStatus: 'clean' }, { housekeepingStatus: 'inspected' }, housekeeper.userId],
    ]);
    const events = (await eventsOf(unit.id)).filter((event) => event.type === 'unit.housekeeping_changed');
    expect(events.map((event) => event.data)).toEqual([
      { unitId: unit.id, propertyId, from: 'clean', to: 'dirty' },
      { unitId: unit.id, propertyId, from: 'dirty', to: 'clean' },
      { unitId: unit.id, propertyId, from: 'clean', to: 'inspected' },
    ]);

    // Housekeeping staff set statuses but do not manage units.
    expect((await call('POST', `/v1/properties/${propertyId}/units`, housekeeper, { unitTypeId, name: '999' })).json()).toMatchObject({
      status: 403,
      code: 'access.denied',
    });
    expect((await call('PATCH', `/v1/units/${unit.id}`, housekeeper, { name: '302' })).statusCode).toBe(403);
    expect((await call('POST', `/v1/units/${unit.id}/operational-status`, housekeeper, { status: 'out_of_order' })).statusCode).toBe(403);
    expect((await call('GET', `/v1/units/${unit.id}`, housekeeper)).statusCode).toBe(200);
  });

  it('go out of order and back into service with a note, audited as maintenance', async () => {
    const unit = await created<{ id: string }>('POST', `/v1/properties/${propertyId}/units`, admin, { unitTypeId, name: '401' });
    const manager = await member('manager');
    const out = await call('POST', `/v1/units/${unit.id}/operational-status`, manager, { status: 'out_of_order', note: 'Leaking pipe' });
    expect(out.json()).toMatchObject({ operationalStatus: 'out_of_order' });
    await call('POST', `/v1/units/${unit.id}/operational-status`, manager, { status: 'in_service' });

    const maintenance = (await auditOf(unit.id)).filter((row) => row.action === 'MAINTENANCE');
    expect(maintenance.map((row) => [row.before, row.after])).toEqual([
      [{ operationalStatus: 'in_service' }, { operationalStatus: 'out_of_order', note: 'Leaking pipe' }],
      [{ operationalStatus: 'out_of_order' }, { operationalStatus: 'in_service', note: null }],
    ]);
    expect((await eventsOf(unit.id)).filter((event) => event.type === 'unit.operational_status_changed')).toHaveLength(2);
    const history = await call('GET', `/v1/units/${unit.id}/audit`, manager);
    expect(history.json<{ data: { action: string }[] }>().data.map((entry) => entry.action)).toEqual([
      'MAINTENANCE',
      'MAINTENANCE',
      'CREATE',
    ]);
    expect((await call('GET', `/v1/units/${unitTypeId}/audit`, manager)).json()).toMatchObject({
      status: 404,
      code: 'inventory.unit_not_found',
    });

    const viewer = await member('viewer');
    expect((await call('POST', `/v1/units/${unit.id}/housekeeping-status`, viewer, { status: 'dirty' })).statusCode).toBe(403);
    expect((await call('DELETE', `/v1/units/${unit.id}`, manager)).statusCode).toBe(403);
  });
});

describe('an owner member', () => {
  it('sees only the properties whose owner row is their login, and everything else of the organization is a 404', async () => {
    const org = await organization('estate');
    const ownerLogin = await member('owner', org.id, org.admin);
    const mine = await createInventoryFixture(t.database.db, org.id, { owner: { name: 'Me', userId: ownerLogin.userId }, units: 1 });
    const theirs = await createInventoryFixture(t.database.db, org.id, { owner: { name: 'Someone else' }, property: { name: 'Not mine' } });

    const properties = await call('GET', '/v1/properties', ownerLogin);
    expect(properties.json()).toMatchObject({ total: 1, data: [{ id: mine.propertyId }] });
    expect((await call('GET', `/v1/properties/${mine.propertyId}`, ownerLogin)).statusCode).toBe(200);
    expect((await call('GET', `/v1/properties/${mine.propertyId}/units`, ownerLogin)).json()).toMatchObject({ total: 1 });
    expect((await call('GET', `/v1/unit-types/${mine.unitTypeId}`, ownerLogin)).statusCode).toBe(200);
    expect((await call('GET', `/v1/units/${mine.unitIds[0]!}`, ownerLogin)).statusCode).toBe(200);
    expect((await call('GET', '/v1/owners', ownerLogin)).json()).toMatchObject({ total: 1, data: [{ id: mine.ownerId }] });

    for (const url of [
      `/v1/properties/${theirs.propertyId}`,
      `/v1/properties/${theirs.propertyId}/units`,
      `/v1/properties/${theirs.propertyId}/unit-types`,
      `/v1/unit-types/${theirs.unitTypeId}`,
      `/v1/units/${theirs.unitIds[0]!}`,
      `/v1/owners/${theirs.ownerId}`,
    ]) {
      expect((await call('GET', url, ownerLogin)).statusCode, url).toBe(404);
    }
    expect((await call('PATCH', `/v1/properties/${mine.propertyId}`, ownerLogin, { name: 'Mine!' })).statusCode).toBe(403);
    expect((await call('POST', '/v1/properties', ownerLogin, property())).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await call('POST', `/v1/units/${mine.unitIds[0]!}/housekeeping-status`, ownerLogin, { status: 'dirty' })).statusCode).toBe(403);
    expect((await call('GET', `/v1/properties/${mine.propertyId}/audit`, ownerLogin)).statusCode).toBe(403);
    const manager = await member('manager', org.id, org.admin);
    expect((await call('POST', '/v1/properties', manager, property())).statusCode).toBe(403);
    expect((await call('GET', '/v1/properties', manager)).json<{ total: number }>().total).toBe(2);
    expect((await call('GET', '/v1/properties', org.admin)).json<{ total: number }>().total).toBe(2);

    // Another organization's admin finds none of it.
    expect((await call('GET', `/v1/properties/${mine.propertyId}`, admin)).json()).toMatchObject({
      status: 404,
      code: 'inventory.property_not_found',
    });
    expect((await call('POST', `/v1/units/${mine.unitIds[0]!}/housekeeping-status`, admin, { status: 'dirty' })).statusCode).toBe(404);
  });
});

describe('what other modules read', () => {
  it('facts, the units of a type, owned properties and marking a unit dirty, in the acting organization only', async () => {
    const org = await organization('facts');
    const ownerLogin = await newUser(t.app, 'facts-owner');
    const fixture = await createInventoryFixture(t.database.db, org.id, {
      units: 3,
      owner: { name: 'Facts', userId: ownerLogin.userId },
      property: { latitude: 38.7, longitude: -9.1, checkInTime: '14:00', amenities: ['pool'] },
    });
    const unitId = fixture.unitIds[1]!;

    await transactionAsTenant(t.database.db, org.id, async (tx) => {
      expect(await propertyFacts(tx, fixture.propertyId)).toEqual({
        id: fixture.propertyId,
        orgId: org.id,
        ownerId: fixture.ownerId,
        name: 'Harbour House',
        category: 'hospitality',
        propertyType: 'hotel',
        city: 'Lisbon',
        region: null,
        country: 'PT',
        latitude: 38.7,
        longitude: -9.1,
        timeZone: 'Europe/Lisbon',
        currency: 'EUR',
        checkInTime: '14:00',
        checkOutTime: '11:00',
        amenities: ['pool'],
        images: [],
      });
      expect(await unitTypeFacts(tx, fixture.unitTypeId)).toEqual({
        id: fixture.unitTypeId,
        propertyId: fixture.propertyId,
        name: 'Double room',
        code: 'DBL',
        maxOccupancy: 2,
        maxAdults: 2,
      });
      expect((await unitsOfType(tx, fixture.unitTypeId)).map((unit) => unit.name)).toEqual(['101', '102', '103']);
      expect(await propertyIdsOwnedBy(tx, ownerLogin.userId)).toEqual([fixture.propertyId]);
      expect(await propertyIdsOwnedBy(tx, admin.userId)).toEqual([]);
      await markUnitDirty(tx, unitId, systemCaller(org.id, { correlationId: 'check-out-1' }));
      expect(await unitFacts(tx, unitId)).toEqual({
        id: unitId,
        propertyId: fixture.propertyId,
        unitTypeId: fixture.unitTypeId,
        name: '102',
        housekeepingStatus: 'dirty',
        operationalStatus: 'in_service',
      });
    });
    const [, dirty] = await auditOf(unitId);
    expect(dirty).toMatchObject({ action: 'HOUSEKEEPING', actorUserId: null, after: { housekeepingStatus: 'dirty' } });
    expect((await eventsOf(unitId)).map((event) => event.type)).toEqual(['unit.created', 'unit.housekeeping_changed']);

    await transactionAsTenant(t.database.db, orgId, async (tx) => {
      expect(await propertyFacts(tx, fixture.propertyId)).toBeUndefined();
      expect(await unitTypeFacts(tx, fixture.unitTypeId)).toBeUndefined();
      expect(await unitFacts(tx, unitId)).toBeUndefined();
      expect(await unitsOfType(tx, fixture.unitTypeId)).toEqual([]);
    });
  });
});
