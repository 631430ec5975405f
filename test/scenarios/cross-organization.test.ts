import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modules } from '../../src/modules/index.ts';
import { createInventoryFixture, type InventoryFixture } from '../../src/modules/inventory/index.ts';
import { grantPlatformAdmin, platformOrganizationId } from '../../src/modules/organizations/index.ts';
import { createPolicyFixture, createRatePlanFixture, type RatePlanFixture } from '../../src/modules/pricing/index.ts';
import { todayIn } from '../../src/platform/dates.ts';
import { bearer, newUser, type Session, sessionIdOf, signIn, testPassword, uniqueEmail } from '../helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Walks the route table: every route with an id in its path, called by an admin of another
 * organization about organization A's objects, answers 404 — never the object, and never a 403
 * that would confirm it exists. A new route with an unknown path parameter fails this test until
 * its fixture is added below, so no route escapes the sweep.
 */
let t: TestApp;

/** Routes outside the sweep, and why. */
const outsideTheSweep: Record<string, string> = {
  'GET /problems/:code': 'the public catalogue of error codes; it belongs to no organization',
  'POST /v1/admin/events/parked/:subscriber/:eventId/redrive':
    'platform operations: the operator token or an admin acting in the platform organization; no organization owns events',
  'GET /docs/*': 'the API documentation',
  'GET /docs/static/*': 'the API documentation',
  'POST /v1/admin/listings/:listingId/approve':
    'platform admins only (listings:moderate in the platform organization): anyone else is refused 403 before any lookup',
  'POST /v1/admin/listings/:listingId/reject':
    'platform admins only (listings:moderate in the platform organization): anyone else is refused 403 before any lookup',
  'POST /v1/webhooks/payments/:provider': 'providers’ webhooks: verified by their signature, and the event names its organization',
};

async function call(method: string, url: string, caller: Session, payload?: object) {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers: bearer(caller.accessToken),
    ...(payload ? { payload } : {}),
  });
}

async function organizationOf(admin: Session, name: string): Promise<{ id: string; admin: Session }> {
  const created = await call('POST', '/v1/organizations', admin, { name });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  const switched = await call('POST', `/v1/organizations/${id}/switch`, admin);
  return { id, admin: { ...admin, accessToken: switched.json<{ accessToken: string }>().accessToken } };
}

let orgA: { id: string; admin: Session };
let orgB: { id: string; admin: Session };
let memberOfA: Session;
/** A customer of A, and a duplicate of it that the sweep may merge into it. */
let customerOfA: string;
let duplicateCustomerOfA: string;
/** A draft listing of A's unit type: never public, so another organization must not find it. */
let listingOfA: string;
/** Another sign-in of A's admin: the sweep may end it and still call on as that admin. */
let otherSessionOfAdminA: string;
/** A's owner, property, unit type and units (the second unit is the one the sweep deletes). */
let inventoryOfA: InventoryFixture;
/** A's rate plan with a season and a tax, a spare plan the sweep may delete, and a cancellation policy. */
let pricingOfA: RatePlanFixture & { spareRatePlanId: string; policyId: string };
/** Inventory the sweep may delete: an owner without properties, a property without units, a unit type without units. */
let spareOfA: { ownerId: string; propertyId: string; unitTypeId: string };
/** A pending invitation into A: the sweep may revoke it. */
let invitationOfA: string;
/** A's bookings, each in the status its transition needs, and a free unit to move one to. */
let bookingsOfA: Awaited<ReturnType<typeof createBookingsOfA>>;
/** A block of A's first unit: the sweep may release it. */
let blockOfA: string;
/** A's money: a manual ledger entry and one of its accounts, a charge invoice, payments, a refund, an owner's bank account and payout. */
let moneyOfA: Awaited<ReturnType<typeof createMoneyOfA>>;

/** What each path parameter names in organization A. */
const fixtures = (): Record<string, string> => ({
  id: orgA.id,
  userId: memberOfA.userId,
  customerId: customerOfA,
  listingId: listingOfA,
  sessionId: otherSessionOfAdminA,
  invitationId: invitationOfA,
  ownerId: inventoryOfA.ownerId,
  propertyId: inventoryOfA.propertyId,
  unitTypeId: inventoryOfA.unitTypeId,
  unitId: inventoryOfA.unitIds[0]!,
  ratePlanId: pricingOfA.ratePlanId,
  seasonId: pricingOfA.seasonIds[0]!,
  taxId: pricingOfA.taxIds[0]!,
  policyId: pricingOfA.policyId,
  bookingId: bookingsOfA.confirmed,
  blockId: blockOfA,
  accountId: moneyOfA.accountId,
  entryId: moneyOfA.entryId,
  invoiceId: moneyOfA.invoiceId,
  paymentId: moneyOfA.paymentId,
  refundId: moneyOfA.refundId,
  bankAccountId: moneyOfA.bankAccountId,
  payoutId: moneyOfA.payoutId,
});

/** Per-route fixtures, where a route needs another object than the shared one (deleting it would break later routes). */
const routeFixtures = (): Record<string, Record<string, string>> => ({
  'DELETE /v1/owners/:ownerId': { ownerId: spareOfA.ownerId },
  'DELETE /v1/properties/:propertyId': { propertyId: spareOfA.propertyId },
  'DELETE /v1/unit-types/:unitTypeId': { unitTypeId: spareOfA.unitTypeId },
  'DELETE /v1/units/:unitId': { unitId: inventoryOfA.unitIds[1]! },
  'DELETE /v1/rate-plans/:ratePlanId': { ratePlanId: pricingOfA.spareRatePlanId },
  'POST /v1/bookings/:bookingId/approve': { bookingId: bookingsOfA.toApprove },
  'POST /v1/bookings/:bookingId/decline': { bookingId: bookingsOfA.toDecline },
  'POST /v1/bookings/:bookingId/confirm': { bookingId: bookingsOfA.approved },
  'POST /v1/bookings/:bookingId/cancel': { bookingId: bookingsOfA.toCancel },
  'POST /v1/bookings/:bookingId/check-in': { bookingId: bookingsOfA.arriving },
  'POST /v1/bookings/:bookingId/check-out': { bookingId: bookingsOfA.staying },
  'POST /v1/bookings/:bookingId/complete': { bookingId: bookingsOfA.leaving },
  'POST /v1/bookings/:bookingId/no-show': { bookingId: bookingsOfA.absent },
});

const unique = () => randomBytes(3).toString('hex').toUpperCase();

/** Bodies valid for each route, so that validation cannot answer before authorization. */
const bodies = (): Record<string, object> => ({
  'PATCH /v1/customers/:customerId': { notes: 'Prefers a quiet room' },
  'PATCH /v1/listings/:listingId': { title: 'Harbour House, double room' },
  'POST /v1/customers/:customerId/blacklist': { reason: 'Unpaid damage' },
  'POST /v1/customers/:customerId/merge': { duplicateCustomerId: duplicateCustomerOfA },
  'PATCH /v1/organizations/:id/members/:userId': { role: 'viewer' },
  'PATCH /v1/owners/:ownerId': { phone: '+351912345678' },
  'PATCH /v1/properties/:propertyId': { name: 'Harbour House Annex' },
  'POST /v1/properties/:propertyId/unit-types': { name: 'Suite', code: `S${unique()}`, maxOccupancy: 2, maxAdults: 2 },
  'PATCH /v1/unit-types/:unitTypeId': { name: 'Double room, sea view' },
  'POST /v1/properties/:propertyId/units': { unitTypeId: inventoryOfA.unitTypeId, name: `R${unique()}` },
  'PATCH /v1/units/:unitId': { floor: '1' },
  'POST /v1/units/:unitId/housekeeping-status': { status: 'dirty' },
  'POST /v1/units/:unitId/operational-status': { status: 'in_service', note: 'Checked' },
  'POST /v1/organizations/:id/invitations': { email: uniqueEmail('guest'), role: 'front_desk' },
  'POST /v1/unit-types/:unitTypeId/rate-plans': { name: 'Sweep rate', code: `P${unique()}`, currency: 'EUR', basePrice: 9_000 },
  'PATCH /v1/rate-plans/:ratePlanId': { name: 'Rack rate' },
  'POST /v1/rate-plans/:ratePlanId/seasons': { name: 'Sweep season', from: '2031-01-01', to: '2031-01-10', price: 12_000 },
  'PUT /v1/rate-plans/:ratePlanId/nights': { from: '2030-06-01', to: '2030-06-08', weekdays: ['sat'], price: 12_000 },
  'POST /v1/properties/:propertyId/taxes': { name: 'Sweep tax', kind: 'percentage', rateBps: 500 },
  'PATCH /v1/taxes/:taxId': { name: 'City tax' },
  'PATCH /v1/cancellation-policies/:policyId': { name: 'House rules, revised' },
  'PATCH /v1/bookings/:bookingId': { notes: 'Arriving late' },
  'POST /v1/bookings/:bookingId/move': { unitId: bookingsOfA.moveTo },
  'POST /v1/units/:unitId/blocks': { from: '2031-02-01', to: '2031-02-03', reason: 'maintenance' },
  'POST /v1/ledger/entries/:entryId/reverse': { reason: 'Posted in error' },
  'POST /v1/invoices/:invoiceId/void': { reason: 'Issued in error' },
  'POST /v1/payments/:paymentId/refunds': { amount: 1_000, reason: 'requested_by_customer' },
});

function fill(url: string, key = ''): string {
  const values = { ...fixtures(), ...routeFixtures()[key] };
  return url.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No fixture for :${name} in ${url}: add one to the cross-organization sweep`);
    return value;
  });
}

beforeAll(async () => {
  t = await buildTestApp({ modules });
  orgA = await organizationOf(await newUser(t.app, 'alice'), 'Harbour Hotels');
  orgB = await organizationOf(await newUser(t.app, 'mallory'), 'Rival Rentals');
  memberOfA = await newUser(t.app, 'bob');
  const invited = await call('POST', `/v1/organizations/${orgA.id}/invitations`, orgA.admin, {
    email: memberOfA.email,
    role: 'front_desk',
  });
  const accepted = await call('POST', '/v1/invitations/accept', memberOfA, { token: invited.json<{ token: string }>().token });
  expect(accepted.statusCode).toBe(200);
  const pending = await call('POST', `/v1/organizations/${orgA.id}/invitations`, orgA.admin, {
    email: uniqueEmail('invitee'),
    role: 'viewer',
  });
  invitationOfA = pending.json<{ id: string }>().id;
  const customer = { firstName: 'Carla', lastName: 'Guest', email: uniqueEmail('carla') };
  customerOfA = (await call('POST', '/v1/customers', orgA.admin, customer)).json<{ id: string }>().id;
  duplicateCustomerOfA = (await call('POST', '/v1/customers', orgA.admin, customer)).json<{ id: string }>().id;
  otherSessionOfAdminA = sessionIdOf((await signIn(t.app, orgA.admin.email)).accessToken);
  inventoryOfA = await createInventoryFixture(t.database.db, orgA.id, { units: 2 });
  const spare = await createInventoryFixture(t.database.db, orgA.id, { units: 0, property: { name: 'Spare' } });
  const spareType = await call('POST', `/v1/properties/${inventoryOfA.propertyId}/unit-types`, orgA.admin, {
    name: 'Spare',
    code: 'SPARE',
    maxOccupancy: 1,
    maxAdults: 1,
  });
  const spareOwner = await call('POST', '/v1/owners', orgA.admin, { name: 'Spare owner' });
  const listing = await call('POST', '/v1/listings', orgA.admin, {
    propertyId: inventoryOfA.propertyId,
    unitTypeId: inventoryOfA.unitTypeId,
    title: 'Double room by the harbour',
    rentalModes: ['monthly'],
    monthlyPrice: 150_000,
  });
  listingOfA = listing.json<{ id: string }>().id;
  const plan = await createRatePlanFixture(t.database.db, orgA.id, {
    unitTypeId: inventoryOfA.unitTypeId,
    seasons: [{ name: 'High season', from: '2030-07-01', to: '2030-09-01', price: 15_000 }],
    taxes: [{ name: 'Tourist tax', kind: 'per_night', amount: 200 }],
  });
  const sparePlan = await createRatePlanFixture(t.database.db, orgA.id, { unitTypeId: inventoryOfA.unitTypeId, plan: { code: 'SPARE' } });
  const policyId = await createPolicyFixture(t.database.db, orgA.id, {
    name: 'House rules',
    rules: { daily: [{ beforeCheckInHours: 48, refundNightsBps: 10_000, refundFeesBps: 10_000 }], monthly: [], lease: [] },
  });
  pricingOfA = { ...plan, spareRatePlanId: sparePlan.ratePlanId, policyId };
  spareOfA = {
    ownerId: spareOwner.json<{ id: string }>().id,
    propertyId: spare.propertyId,
    unitTypeId: spareType.json<{ id: string }>().id,
  };
  bookingsOfA = await createBookingsOfA();
  const block = await call('POST', `/v1/units/${inventoryOfA.unitIds[0]!}/blocks`, orgA.admin, {
    from: '2031-03-01',
    to: '2031-03-03',
    reason: 'owner_use',
  });
  expect(block.statusCode, block.body).toBe(201);
  blockOfA = block.json<{ id: string }>().id;
  moneyOfA = await createMoneyOfA();
});

/** Money of A: what each money route with an id needs, made through the API. */
async function createMoneyOfA() {
  const created = async (reply: Awaited<ReturnType<typeof call>>) => {
    expect(reply.statusCode, reply.body).toBe(201);
    return reply.json<{ id: string }>();
  };
  const owner = { type: 'owner', id: inventoryOfA.ownerId };
  // The owner is owed 500.00 EUR, paid into the bank: a balance they may withdraw.
  const entry = await created(
    await call('POST', '/v1/ledger/entries', orgA.admin, {
      description: 'Opening balance owed to the owner',
      postings: [
        { accountCode: '1010', currency: 'EUR', amount: 50_000 },
        { accountCode: '2200', currency: 'EUR', party: owner, amount: -50_000 },
      ],
    }),
  );
  const { postings } = entry as unknown as { postings: { accountId: string }[] };
  const invoice = await created(
    await call('POST', '/v1/invoices', orgA.admin, {
      customerId: customerOfA,
      currency: 'EUR',
      lines: [{ description: 'Late check-out', quantity: 1, unitAmount: 3_000, kind: 'fee' }],
    }),
  );
  const cash = (receiptNumber: string) =>
    call('POST', '/v1/payments', orgA.admin, {
      purpose: 'deposit',
      payerCustomerId: customerOfA,
      amount: 20_000,
      currency: 'EUR',
      method: 'cash',
      receiptNumber,
    });
  const payment = await created(await cash('SWEEP-1'));
  const refunded = await created(await cash('SWEEP-2'));
  const refund = await created(await call('POST', `/v1/payments/${refunded.id}/refunds`, orgA.admin, { amount: 5_000 }));
  const bankAccount = await created(
    await call('POST', '/v1/bank-accounts', orgA.admin, {
      holderType: 'owner',
      holderId: inventoryOfA.ownerId,
      holderName: 'Marina Costa',
      country: 'US',
      currency: 'EUR',
      accountType: 'checking',
      routingNumber: '021000021',
      accountNumber: '000123456789',
    }),
  );
  const payout = await created(
    await call('POST', '/v1/payouts', orgA.admin, {
      ownerId: inventoryOfA.ownerId,
      amount: 10_000,
      currency: 'EUR',
      bankAccountId: bankAccount.id,
    }),
  );
  return {
    entryId: entry.id,
    accountId: postings[0]!.accountId,
    invoiceId: invoice.id,
    paymentId: payment.id,
    refundId: refund.id,
    bankAccountId: bankAccount.id,
    payoutId: payout.id,
  };
}

/**
 * Bookings of A on units of their own, one per transition in the status it starts from: staff
 * bookings (confirmed at once, or approved when paid online), stays arriving today, and requests
 * of a guest through a listing the platform approved.
 */
async function createBookingsOfA() {
  const day = (days: number) => todayIn('Europe/Lisbon').add({ days }).toString();
  const created = async (reply: Awaited<ReturnType<typeof call>>) => {
    expect(reply.statusCode, reply.body).toBe(201);
    return reply.json<{ id: string }>().id;
  };
  const unit = async (name: string) =>
    created(
      await call('POST', `/v1/properties/${inventoryOfA.propertyId}/units`, orgA.admin, { unitTypeId: inventoryOfA.unitTypeId, name }),
    );
  const [first, second, third] = [await unit('B1'), await unit('B2'), await unit('B3')];
  const book = async (unitId: string, checkIn: string, checkOut: string, extra: object = {}) =>
    created(
      await call('POST', '/v1/bookings', orgA.admin, {
        ...{ rentalMode: 'daily', unitTypeId: inventoryOfA.unitTypeId, unitId, checkIn, checkOut, customerId: customerOfA },
        ...extra,
      }),
    );
  const step = async (bookingId: string, path: string) =>
    expect((await call('POST', `/v1/bookings/${bookingId}/${path}`, orgA.admin)).statusCode).toBe(200);
  const confirmed = await book(first, '2029-03-01', '2029-03-03');
  const toCancel = await book(first, '2029-04-01', '2029-04-03');
  const approved = await book(first, '2029-05-01', '2029-05-02', { guarantee: 'online_payment' });
  const arriving = await book(first, day(0), day(1));
  const staying = await book(second, day(0), day(1));
  await step(staying, 'check-in');
  const leaving = await book(third, day(0), day(1));
  await step(leaving, 'check-in');
  await step(leaving, 'check-out');
  const absent = await book(third, day(0), day(1));

  const moderatorEmail = uniqueEmail('moderator');
  await grantPlatformAdmin(t.database.db, { email: moderatorEmail, password: testPassword });
  const moderator = await organizationSession({ ...(await signIn(t.app, moderatorEmail)), email: moderatorEmail }, platformOrganizationId);
  const listingId = await created(
    await call('POST', '/v1/listings', orgA.admin, {
      ...{ propertyId: inventoryOfA.propertyId, unitTypeId: inventoryOfA.unitTypeId, unitId: third },
      ...{ title: 'Room B3 on request', rentalModes: ['daily'], autoAccept: { daily: false } },
    }),
  );
  expect((await call('POST', `/v1/listings/${listingId}/submit`, orgA.admin)).statusCode).toBe(200);
  expect((await call('POST', `/v1/admin/listings/${listingId}/approve`, moderator)).statusCode).toBe(200);
  const guest = await newUser(t.app, 'guest');
  const request = async (checkIn: string, checkOut: string) =>
    created(await call('POST', '/v1/bookings', guest, { rentalMode: 'daily', listingId, checkIn, checkOut }));
  const toApprove = await request('2029-06-01', '2029-06-02');
  const toDecline = await request('2029-06-03', '2029-06-04');
  return { confirmed, toCancel, approved, arriving, staying, leaving, absent, toApprove, toDecline, moveTo: second };
}

async function organizationSession(session: Session, organizationId: string): Promise<Session> {
  const switched = await call('POST', `/v1/organizations/${organizationId}/switch`, session);
  expect(switched.statusCode, switched.body).toBe(200);
  return { ...session, accessToken: switched.json<{ accessToken: string }>().accessToken };
}
afterAll(() => t.close());

function sweptRoutes() {
  return t.app.routeTable
    .filter((route) => route.url.includes(':') || route.url.includes('*'))
    .filter((route) => !(`${route.method} ${route.url}` in outsideTheSweep));
}

describe('another organization’s objects', () => {
  it('covers every route with an id in its path', () => {
    const swept = sweptRoutes().map((route) => `${route.method} ${route.url}`);
    expect(swept).toEqual(expect.arrayContaining(['POST /v1/organizations/:id/switch', 'GET /v1/organizations/:id/members']));
    for (const route of sweptRoutes()) expect(() => fill(route.url)).not.toThrow();
  });

  it('answers 404 to an admin of another organization, on every such route', async () => {
    const answers: string[] = [];
    for (const route of sweptRoutes()) {
      const key = `${route.method} ${route.url}`;
      const reply = await call(route.method, fill(route.url, key), orgB.admin, bodies()[key]);
      answers.push(`${key} → ${reply.statusCode} ${reply.json<{ code?: string }>().code ?? ''}`);
    }
    expect(answers.filter((answer) => !/ → 404 /.test(answer))).toEqual([]);
  });

  it('answers the same requests for the organization’s own admin, so the sweep addresses real objects', async () => {
    const routes = sweptRoutes().sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const reply = await call(route.method, fill(route.url, key), orgA.admin, bodies()[key]);
      expect(reply.statusCode, `${key}: ${reply.body}`).toBeLessThan(300);
    }
  });
});
