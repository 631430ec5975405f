import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, type Session } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from '../identity/index.ts';
import { createInventoryFixture, type InventoryFixture, inventoryModule } from '../inventory/index.ts';
import { organizationsModule } from '../organizations/index.ts';
import { pricingModule } from './index.ts';

let t: TestApp;
let admin: Session;
let orgId: string;
let inventory: InventoryFixture;

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

function as(session: Session | null) {
  const call = (method: Method, url: string, payload?: object) =>
    t.app.inject({ method, url, headers: session ? bearer(session.accessToken) : {}, ...(payload ? { payload } : {}) });
  return {
    get: (url: string) => call('GET', url),
    post: (url: string, payload?: object) => call('POST', url, payload),
    patch: (url: string, payload: object) => call('PATCH', url, payload),
    put: (url: string, payload: object) => call('PUT', url, payload),
    delete: (url: string) => call('DELETE', url),
  };
}

async function switchTo(session: Session, organizationId: string): Promise<Session> {
  const switched = await as(session).post(`/v1/organizations/${organizationId}/switch`);
  expect(switched.statusCode).toBe(200);
  return { ...session, accessToken: switched.json<{ accessToken: string }>().accessToken };
}

async function member(role: string, label: string): Promise<Session> {
  const user = await newUser(t.app, label);
  const invited = await as(admin).post(`/v1/organizations/${orgId}/invitations`, { email: user.email, role });
  expect(invited.statusCode).toBe(201);
  const accepted = await as(user).post('/v1/invitations/accept', { token: invited.json<{ token: string }>().token });
  expect(accepted.statusCode).toBe(200);
  return switchTo(user, orgId);
}

async function auditOf(entityId: string): Promise<{ action: string; before: unknown; after: unknown }[]> {
  const { rows } = await sql<{ action: string; before: unknown; after: unknown }>`
    SELECT action, before, after FROM audit_log WHERE entity_id = ${entityId} ORDER BY occurred_at, id
  `.execute(t.database.owner);
  return rows;
}

async function eventsOf(aggregateId: string): Promise<{ type: string; data: unknown }[]> {
  const { rows } = await sql<{ type: string; data: unknown }>`
    SELECT type, envelope->'data' AS data FROM outbox_event WHERE aggregate_id = ${aggregateId} ORDER BY seq
  `.execute(t.database.owner);
  return rows;
}

const plan = (overrides: object = {}) => ({ name: 'Best available rate', code: 'BAR', currency: 'EUR', basePrice: 10_000, ...overrides });

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule, inventoryModule, pricingModule] });
  admin = await newUser(t.app, 'ada');
  const created = await as(admin).post('/v1/organizations', { name: 'Harbour Hotels' });
  orgId = created.json<{ id: string }>().id;
  admin = await switchTo(admin, orgId);
  inventory = await createInventoryFixture(t.database.db, orgId, { unitType: { maxOccupancy: 4, maxAdults: 2 } });
});
afterAll(() => t.close());

describe('rate plans', () => {
  it('are created in the property’s currency; the first is the default, and isDefault moves it', async () => {
    const api = as(admin);
    const url = `/v1/unit-types/${inventory.unitTypeId}/rate-plans`;
    const wrongCurrency = await api.post(url, plan({ currency: 'USD' }));
    expect(wrongCurrency.json()).toMatchObject({ status: 422, code: 'pricing.currency_mismatch' });

    const first = await api.post(url, plan({ weekdayPrices: { sat: 12_000 }, cleaningFee: 3_000, code: 'bar' }));
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      propertyId: inventory.propertyId,
      unitTypeId: inventory.unitTypeId,
      code: 'BAR',
      isDefault: true,
      currency: 'EUR',
      basePrice: 10_000,
      weekdayPrices: { sat: 12_000 },
      cleaningFee: 3_000,
      extraGuestFee: 0,
      guestsIncluded: 2,
      serviceFeeBps: 0,
      weeklyDiscountBps: 0,
      monthlyDiscountBps: 0,
    });
    const firstId = first.json<{ id: string }>().id;
    expect((await api.post(url, plan())).json()).toMatchObject({ status: 409, code: 'pricing.rate_plan_code_taken' });

    const second = await api.post(url, plan({ code: 'NONREF', name: 'Non-refundable', basePrice: 8_500, isDefault: false }));
    expect(second.json()).toMatchObject({ isDefault: false });
    const third = await api.post(url, plan({ code: 'PROMO', name: 'Promotion', basePrice: 7_000, isDefault: true }));
    expect(third.json()).toMatchObject({ isDefault: true });
    const thirdId = third.json<{ id: string }>().id;

    const list = await api.get(`${url}?pageSize=2`);
    expect(list.statusCode).toBe(200);
    expect(list.json<{ data: { code: string; isDefault: boolean }[] }>().data.map((item) => [item.code, item.isDefault])).toEqual([
      ['PROMO', true],
      ['BAR', false],
    ]);
    expect(list.json()).toMatchObject({ page: 1, pageSize: 2, total: 3 });
    expect(list.headers['x-total-count']).toBe('3');

    // The first plan was demoted: recorded as its change, with an event for listings.
    expect((await auditOf(firstId)).map((entry) => entry.action)).toEqual(['CREATE', 'UPDATE']);
    expect(await eventsOf(firstId)).toEqual([
      { type: 'rate_plan.created', data: { ratePlanId: firstId, unitTypeId: inventory.unitTypeId, isDefault: true } },
      { type: 'rate_plan.updated', data: { ratePlanId: firstId, unitTypeId: inventory.unitTypeId, isDefault: false } },
    ]);

    // A default plan stays one until another takes over.
    expect((await api.patch(`/v1/rate-plans/${thirdId}`, { isDefault: false })).json()).toMatchObject({
      status: 409,
      code: 'pricing.default_required',
    });
    expect((await api.patch(`/v1/rate-plans/${firstId}`, { isDefault: true })).json()).toMatchObject({ isDefault: true });
    expect((await api.get(`/v1/rate-plans/${thirdId}`)).json()).toMatchObject({ isDefault: false });

    // Deleting the default makes the oldest remaining plan the default.
    expect((await api.delete(`/v1/rate-plans/${firstId}`)).statusCode).toBe(204);
    expect((await api.get(`/v1/rate-plans/${firstId}`)).json()).toMatchObject({ status: 404, code: 'pricing.rate_plan_not_found' });
    expect((await api.get(`/v1/rate-plans/${second.json<{ id: string }>().id}`)).json()).toMatchObject({ isDefault: true });
    expect((await auditOf(firstId)).map((entry) => entry.action)).toEqual(['CREATE', 'UPDATE', 'UPDATE', 'DELETE']);
    expect((await eventsOf(firstId)).at(-1)?.type).toBe('rate_plan.deleted');
  });

  it('record a price change as RATE_UPDATE and any other change as UPDATE, with before and after', async () => {
    const api = as(admin);
    const { unitTypeId } = await createInventoryFixture(t.database.db, orgId, { units: 0 });
    const created = await api.post(`/v1/unit-types/${unitTypeId}/rate-plans`, plan());
    const id = created.json<{ id: string }>().id;
    const repriced = await api.patch(`/v1/rate-plans/${id}`, { basePrice: 11_000, weekdayPrices: { fri: 13_000 } });
    expect(repriced.json()).toMatchObject({ basePrice: 11_000, weekdayPrices: { fri: 13_000 } });
    expect((await api.patch(`/v1/rate-plans/${id}`, { name: 'Rack rate' })).json()).toMatchObject({ name: 'Rack rate', basePrice: 11_000 });
    const audit = await auditOf(id);
    expect(audit.map((entry) => entry.action)).toEqual(['CREATE', 'RATE_UPDATE', 'UPDATE']);
    expect(audit[1]).toMatchObject({
      before: { basePrice: 10_000, weekdayPrices: {} },
      after: { basePrice: 11_000, weekdayPrices: { fri: 13_000 } },
    });
    expect((await eventsOf(id)).map((event) => event.type)).toEqual(['rate_plan.created', 'rate_plan.updated', 'rate_plan.updated']);
    expect((await api.patch(`/v1/rate-plans/${id}`, { basePrice: 1.5 })).statusCode).toBe(400);
    expect((await api.patch(`/v1/rate-plans/${id}`, { currency: 'USD' })).statusCode).toBe(400);
  });

  it('answer 404 for unit types and plans that do not exist', async () => {
    const api = as(admin);
    const nobody = '01900000-0000-7000-8000-000000000000';
    expect((await api.post(`/v1/unit-types/${nobody}/rate-plans`, plan())).json()).toMatchObject({ code: 'pricing.unit_type_not_found' });
    expect((await api.get(`/v1/unit-types/${nobody}/rate-plans`)).json()).toMatchObject({ code: 'pricing.unit_type_not_found' });
    expect((await api.get(`/v1/rate-plans/${nobody}`)).json()).toMatchObject({ code: 'pricing.rate_plan_not_found' });
  });
});

async function freshPlan(overrides: object = {}): Promise<string> {
  const { unitTypeId } = await createInventoryFixture(t.database.db, orgId, { units: 0 });
  const created = await as(admin).post(`/v1/unit-types/${unitTypeId}/rate-plans`, plan(overrides));
  expect(created.statusCode).toBe(201);
  return created.json<{ id: string }>().id;
}

describe('seasons', () => {
  it('never overlap within a plan; their end is exclusive', async () => {
    const api = as(admin);
    const ratePlanId = await freshPlan();
    const url = `/v1/rate-plans/${ratePlanId}/seasons`;
    const summer = await api.post(url, {
      name: 'Summer',
      from: '2026-07-01',
      to: '2026-09-01',
      price: 15_000,
      weekdayPrices: { sat: 18_000 },
    });
    expect(summer.statusCode).toBe(201);
    expect(summer.json()).toMatchObject({
      ratePlanId,
      from: '2026-07-01',
      to: '2026-09-01',
      price: 15_000,
      weekdayPrices: { sat: 18_000 },
    });
    const overlap = await api.post(url, { name: 'Late summer', from: '2026-08-31', to: '2026-09-15', price: 12_000 });
    expect(overlap.json()).toMatchObject({ status: 409, code: 'pricing.season_overlap' });
    const adjacent = await api.post(url, { name: 'Autumn', from: '2026-09-01', to: '2026-11-01', price: 9_000 });
    expect(adjacent.statusCode).toBe(201);
    const spring = await api.post(url, { name: 'Spring', from: '2026-04-01', to: '2026-05-01', price: 11_000 });
    for (const invalid of [
      { name: 'Backwards', from: '2027-02-01', to: '2027-01-01', price: 1 },
      { name: 'Empty', from: '2027-02-01', to: '2027-02-01', price: 1 },
    ]) {
      expect((await api.post(url, invalid)).json()).toMatchObject({ status: 422, code: 'pricing.invalid_range' });
    }
    expect((await api.post(url, { name: 'No such day', from: '2027-02-29', to: '2027-03-02', price: 1 })).statusCode).toBe(400);

    const list = await api.get(url);
    expect(list.json<{ data: { name: string }[] }>().data.map((season) => season.name)).toEqual(['Spring', 'Summer', 'Autumn']);

    const springId = spring.json<{ id: string }>().id;
    expect((await api.delete(`/v1/rate-seasons/${springId}`)).statusCode).toBe(204);
    expect((await api.delete(`/v1/rate-seasons/${springId}`)).json()).toMatchObject({ status: 404, code: 'pricing.season_not_found' });
    expect((await auditOf(springId)).map((entry) => entry.action)).toEqual(['CREATE', 'DELETE']);
    // Each season change tells listings the plan's prices changed.
    expect((await eventsOf(ratePlanId)).map((event) => event.type)).toEqual([
      'rate_plan.created',
      'rate_plan.updated',
      'rate_plan.updated',
      'rate_plan.updated',
      'rate_plan.updated',
    ]);
  });
});

describe('nights in bulk', () => {
  type Night = {
    night: string;
    price: number;
    minStay: number | null;
    maxStay: number | null;
    stopSell: boolean;
    closedToArrival: boolean;
  };
  const nightsOf = async (ratePlanId: string, from: string, to: string) =>
    (await as(admin).get(`/v1/rate-plans/${ratePlanId}/nights?from=${from}&to=${to}`)).json<{ data: Night[] }>().data;
  const storedRows = async (ratePlanId: string) => {
    const { rows } = await sql<{ count: string }>`SELECT count(*) FROM rate_day WHERE rate_plan_id = ${ratePlanId}`.execute(
      t.database.owner,
    );
    return Number(rows[0]!.count);
  };

  it('change only the weekdays given, leave omitted fields as they are, and clear fields set to null', async () => {
    const api = as(admin);
    const ratePlanId = await freshPlan({ basePrice: 10_000 });
    const url = `/v1/rate-plans/${ratePlanId}/nights`;
    // 2026-06-01 is a Monday; two weeks.
    const weekends = await api.put(url, { from: '2026-06-01', to: '2026-06-15', weekdays: ['sat', 'sun'], price: 14_000 });
    expect(weekends.statusCode).toBe(200);
    expect(weekends.json<{ data: Night[] }>().data.map((night) => night.price)).toEqual([
      10_000, 10_000, 10_000, 10_000, 10_000, 14_000, 14_000, 10_000, 10_000, 10_000, 10_000, 10_000, 14_000, 14_000,
    ]);
    expect(await storedRows(ratePlanId)).toBe(4);

    // A restriction on every night leaves the weekend prices alone.
    await api.put(url, { from: '2026-06-01', to: '2026-06-15', minStay: 2, closedToArrival: true });
    let nights = await nightsOf(ratePlanId, '2026-06-01', '2026-06-15');
    expect(nights.map((night) => [night.price, night.minStay, night.closedToArrival])).toEqual(
      [10_000, 10_000, 10_000, 10_000, 10_000, 14_000, 14_000, 10_000, 10_000, 10_000, 10_000, 10_000, 14_000, 14_000].map((price) => [
        price,
        2,
        true,
      ]),
    );

    // null clears, on Saturdays only.
    await api.put(url, { from: '2026-06-01', to: '2026-06-15', weekdays: ['sat'], price: null, closedToArrival: null });
    nights = await nightsOf(ratePlanId, '2026-06-06', '2026-06-08');
    expect(nights.map((night) => [night.night, night.price, night.minStay, night.closedToArrival])).toEqual([
      ['2026-06-06', 10_000, 2, false],
      ['2026-06-07', 14_000, 2, true],
    ]);

    // Nights left with nothing set have no row.
    await api.put(url, { from: '2026-06-01', to: '2026-06-15', price: null, minStay: null, closedToArrival: false });
    expect(await storedRows(ratePlanId)).toBe(0);
    expect(
      (await nightsOf(ratePlanId, '2026-06-01', '2026-06-15')).every((night) => night.price === 10_000 && night.minStay === null),
    ).toBe(true);

    const audit = await auditOf(ratePlanId);
    expect(audit.map((entry) => entry.action)).toEqual(['CREATE', 'RATE_UPDATE', 'RATE_UPDATE', 'RATE_UPDATE', 'RATE_UPDATE']);
    expect(audit[1]).toMatchObject({
      before: { from: '2026-06-01', to: '2026-06-15', weekdays: ['sat', 'sun'], nights: [] },
      after: { change: { price: 14_000 }, nights: [{ night: '2026-06-06', price: 14_000 }, {}, {}, {}] },
    });
  });

  it('refuse ranges over 731 nights, empty changes and a minimum stay above the maximum', async () => {
    const api = as(admin);
    const ratePlanId = await freshPlan();
    const url = `/v1/rate-plans/${ratePlanId}/nights`;
    expect((await api.put(url, { from: '2026-01-01', to: '2028-01-03', stopSell: true })).json()).toMatchObject({
      status: 422,
      code: 'pricing.invalid_range',
    });
    expect((await api.put(url, { from: '2026-01-01', to: '2028-01-02', stopSell: true })).statusCode).toBe(200);
    expect((await api.put(url, { from: '2026-01-01', to: '2026-01-02' })).statusCode).toBe(400);
    expect((await api.put(url, { from: '2026-01-01', to: '2026-01-02', minStay: 5, maxStay: 3 })).statusCode).toBe(400);
    expect((await api.put(url, { from: '2026-01-01', to: '2026-01-02', weekdays: ['mon', 'mon'], price: 1 })).statusCode).toBe(400);
    await api.put(url, { from: '2026-03-01', to: '2026-03-08', maxStay: 3 });
    expect((await api.put(url, { from: '2026-03-01', to: '2026-03-08', minStay: 5 })).json()).toMatchObject({
      status: 422,
      code: 'pricing.invalid_restrictions',
    });
    expect((await api.get(`${url}?from=2026-01-01&to=2028-01-03`)).json()).toMatchObject({ code: 'pricing.invalid_range' });
    // Without a range: the next 31 nights.
    expect((await api.get(url)).json<{ data: unknown[] }>().data).toHaveLength(31);
  });
});

describe('taxes', () => {
  it('are percentages (inclusive or not, on fees or not), per night or per guest per night, in the property’s currency', async () => {
    const api = as(admin);
    const url = `/v1/properties/${inventory.propertyId}/taxes`;
    const vat = await api.post(url, { name: 'VAT', kind: 'percentage', rateBps: 600, inclusive: true, appliesToFees: false });
    expect(vat.statusCode).toBe(201);
    expect(vat.json()).toMatchObject({
      kind: 'percentage',
      rateBps: 600,
      amount: null,
      currency: null,
      inclusive: true,
      appliesToFees: false,
      rentalModes: ['daily', 'monthly', 'lease'],
    });
    const levy = await api.post(url, { name: 'Levy', kind: 'per_night', amount: 200 });
    expect(levy.json()).toMatchObject({ amount: 200, currency: 'EUR', rateBps: null, inclusive: false, rentalModes: ['daily', 'monthly'] });
    const perGuest = await api.post(url, { name: 'Tourist tax', kind: 'per_person_per_night', amount: 150 });
    expect(perGuest.json()).toMatchObject({ rentalModes: ['daily'] });

    for (const [body, field] of [
      [{ name: 'Bad', kind: 'per_night', amount: 200, inclusive: true }, 'body.inclusive'],
      [{ name: 'Bad', kind: 'percentage', rateBps: 500, amount: 10 }, 'body.amount'],
      [{ name: 'Bad', kind: 'percentage' }, 'body.rateBps'],
      [{ name: 'Bad', kind: 'per_night' }, 'body.amount'],
      [{ name: 'Bad', kind: 'per_person_per_night', amount: 1, rentalModes: ['monthly'] }, 'body.rentalModes'],
    ] as const) {
      const refused = await api.post(url, body);
      expect(refused.json(), JSON.stringify(body)).toMatchObject({ status: 422, code: 'pricing.invalid_tax', errors: [{ path: field }] });
    }
    expect((await api.post(url, { name: 'Bad', kind: 'per_night', amount: 1, currency: 'USD' })).json()).toMatchObject({
      code: 'pricing.currency_mismatch',
    });

    // Changing the kind clears what the new kind does not use.
    const levyId = levy.json<{ id: string }>().id;
    const changed = await api.patch(`/v1/taxes/${levyId}`, { kind: 'percentage', rateBps: 350 });
    expect(changed.json()).toMatchObject({
      kind: 'percentage',
      rateBps: 350,
      amount: null,
      currency: null,
      rentalModes: ['daily', 'monthly'],
    });
    expect((await api.patch(`/v1/taxes/${levyId}`, { kind: 'per_night' })).json()).toMatchObject({ code: 'pricing.invalid_tax' });
    expect((await api.get(`/v1/taxes/${levyId}`)).json()).toMatchObject({ kind: 'percentage' });

    const list = await api.get(url);
    expect(list.json<{ data: { name: string }[] }>().data.map((tax) => tax.name)).toEqual(['VAT', 'Levy', 'Tourist tax']);
    expect((await api.delete(`/v1/taxes/${levyId}`)).statusCode).toBe(204);
    expect((await api.get(`/v1/taxes/${levyId}`)).json()).toMatchObject({ code: 'pricing.tax_not_found' });
    expect((await auditOf(levyId)).map((entry) => entry.action)).toEqual(['CREATE', 'UPDATE', 'DELETE']);
    expect((await eventsOf(levyId)).map((event) => event.type)).toEqual(['tax.created', 'tax.updated', 'tax.deleted']);
  });
});

describe('cancellation policies', () => {
  const rules = {
    daily: [
      { beforeCheckInHours: 24, refundNightsBps: 5_000, refundFeesBps: 10_000 },
      { beforeCheckInHours: 72, refundNightsBps: 10_000, refundFeesBps: 10_000 },
    ],
    monthly: [{ beforeCheckInHours: 336, refundNightsBps: 10_000, refundFeesBps: 10_000 }],
    lease: [],
  };

  it('offers the presets to anyone', async () => {
    const presets = await as(null).get('/v1/cancellation-policies/presets');
    expect(presets.statusCode).toBe(200);
    const data = presets.json<{ data: { name: string; rules: { daily: unknown[] } }[] }>().data;
    expect(data.map((item) => item.name)).toEqual(['flexible', 'moderate', 'firm', 'strict', 'non_refundable']);
    expect(data[0]!.rules.daily).toEqual([{ beforeCheckInHours: 24, refundNightsBps: 10_000, refundFeesBps: 10_000 }]);
  });

  it('are the organization’s own rules, validated and kept largest window first', async () => {
    const api = as(admin);
    const created = await api.post('/v1/cancellation-policies', { name: 'Harbour flexible', rules });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'Harbour flexible', rules: { daily: [rules.daily[1], rules.daily[0]], lease: [] } });
    const id = created.json<{ id: string }>().id;
    expect((await api.post('/v1/cancellation-policies', { name: 'Harbour flexible', rules })).json()).toMatchObject({
      status: 409,
      code: 'pricing.policy_name_taken',
    });
    const duplicate = { ...rules, daily: [rules.daily[0], { ...rules.daily[1], beforeCheckInHours: 24 }] };
    expect((await api.post('/v1/cancellation-policies', { name: 'Twice', rules: duplicate })).statusCode).toBe(400);
    const tooMuch = { ...rules, lease: [{ beforeCheckInHours: 24, refundNightsBps: 10_001, refundFeesBps: 0 }] };
    expect((await api.post('/v1/cancellation-policies', { name: 'Generous', rules: tooMuch })).statusCode).toBe(400);

    const changed = await api.patch(`/v1/cancellation-policies/${id}`, { rules: { ...rules, lease: rules.monthly } });
    expect(changed.json()).toMatchObject({ name: 'Harbour flexible', rules: { lease: rules.monthly } });
    expect((await api.get(`/v1/cancellation-policies/${id}`)).json()).toMatchObject({ rules: { lease: rules.monthly } });
    expect((await api.get('/v1/cancellation-policies')).json()).toMatchObject({ total: 1, data: [{ id }] });
    expect((await api.delete(`/v1/cancellation-policies/${id}`)).statusCode).toBe(204);
    expect((await api.get(`/v1/cancellation-policies/${id}`)).json()).toMatchObject({ status: 404, code: 'pricing.policy_not_found' });
    expect((await auditOf(id)).map((entry) => entry.action)).toEqual(['CREATE', 'UPDATE', 'DELETE']);
  });
});

describe('who may', () => {
  it('a manager sets rates but deletes nothing; a viewer reads; anonymous callers are refused', async () => {
    const manager = await member('manager', 'mona');
    const viewer = await member('viewer', 'vic');
    const { unitTypeId } = await createInventoryFixture(t.database.db, orgId, { units: 0 });
    const created = await as(manager).post(`/v1/unit-types/${unitTypeId}/rate-plans`, plan());
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect((await as(manager).patch(`/v1/rate-plans/${id}`, { basePrice: 9_000 })).statusCode).toBe(200);
    expect((await as(manager).delete(`/v1/rate-plans/${id}`)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await as(viewer).get(`/v1/rate-plans/${id}`)).statusCode).toBe(200);
    expect((await as(viewer).patch(`/v1/rate-plans/${id}`, { basePrice: 1 })).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await as(null).get(`/v1/rate-plans/${id}`)).statusCode).toBe(401);
  });

  it('an owner reads the rates of their own properties only; others answer 404', async () => {
    const ownerUser = await member('owner', 'olga');
    const own = await createInventoryFixture(t.database.db, orgId, { units: 0, owner: { userId: ownerUser.userId } });
    const ownPlan = await as(admin).post(`/v1/unit-types/${own.unitTypeId}/rate-plans`, plan());
    const ownPlanId = ownPlan.json<{ id: string }>().id;
    const ownTax = await as(admin).post(`/v1/properties/${own.propertyId}/taxes`, { name: 'VAT', kind: 'percentage', rateBps: 600 });
    const otherPlanId = await freshPlan();
    const owner = as(ownerUser);
    expect((await owner.get(`/v1/rate-plans/${ownPlanId}`)).statusCode).toBe(200);
    expect((await owner.get(`/v1/unit-types/${own.unitTypeId}/rate-plans`)).json()).toMatchObject({ total: 1 });
    expect((await owner.get(`/v1/taxes/${ownTax.json<{ id: string }>().id}`)).statusCode).toBe(200);
    expect((await owner.get(`/v1/rate-plans/${otherPlanId}`)).json()).toMatchObject({ status: 404, code: 'pricing.rate_plan_not_found' });
    expect((await owner.get(`/v1/rate-plans/${otherPlanId}/nights?from=2026-01-01&to=2026-01-02`)).statusCode).toBe(404);
    expect((await owner.get(`/v1/unit-types/${inventory.unitTypeId}/rate-plans`)).json()).toMatchObject({
      code: 'pricing.unit_type_not_found',
    });
    expect((await owner.get(`/v1/properties/${inventory.propertyId}/taxes`)).json()).toMatchObject({ code: 'pricing.property_not_found' });
    expect((await owner.patch(`/v1/rate-plans/${ownPlanId}`, { basePrice: 1 })).json()).toMatchObject({ status: 403 });
  });
});
