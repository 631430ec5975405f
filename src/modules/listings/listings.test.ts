import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, type Session, signIn, testPassword, uniqueEmail } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp, testConfig } from '../../../test/helpers/app.ts';
import { startTestRelay } from '../../../test/helpers/events.ts';
import { subscribersOf } from '../../platform/module.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { identityModule } from '../identity/index.ts';
import { createInventoryFixture, type InventoryFixture, inventoryModule } from '../inventory/index.ts';
import { grantPlatformAdmin, organizationsModule, platformOrganizationId } from '../organizations/index.ts';
import { pricingModule } from '../pricing/index.ts';
import { refreshPublishedPrices } from './from-prices.ts';
import { listingsModule, listingTerms, publicListingOrganization } from './index.ts';

let t: TestApp;

/** Matchers typed for use inside other matchers' expectations. */
const anyString: unknown = expect.any(String);
const partial = (value: Record<string, unknown>): unknown => expect.objectContaining(value);
let relay: EventRelay;
/** An admin acting in the platform organization: the moderator. */
let moderator: Session;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule, inventoryModule, pricingModule, listingsModule] });
  relay = await startTestRelay(t.database, subscribersOf([listingsModule], testConfig()));
  const email = uniqueEmail('moderator');
  await grantPlatformAdmin(t.database.db, { email, password: testPassword });
  moderator = await actIn({ ...(await signIn(t.app, email)), email }, platformOrganizationId);
});
afterAll(async () => {
  await relay.stop();
  await t.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
const call = (method: Method, url: string, session: Session | null, payload?: object) =>
  t.app.inject({ method, url, ...(session ? { headers: bearer(session.accessToken) } : {}), ...(payload ? { payload } : {}) });

interface Listing {
  id: string;
  organizationId: string;
  title: string;
  currency: string;
  rentalModes: string[];
  moderationStatus: string;
  moderationNote: string | null;
  isActive: boolean;
}
interface PublicListing {
  id: string;
  maxOccupancy: number;
  title: string;
  city: string;
  dailyPrice: number | null;
  monthlyPrice: number | null;
  leaseRate: number | null;
}

async function actIn(session: Session, organizationId: string): Promise<Session> {
  const switched = await call('POST', `/v1/organizations/${organizationId}/switch`, session);
  if (switched.statusCode !== 200) throw new Error(switched.body);
  return { ...session, accessToken: switched.json<{ accessToken: string }>().accessToken };
}

interface Org {
  id: string;
  admin: Session;
  inventory: InventoryFixture;
}

async function organization(label: string, property: Record<string, unknown> = {}): Promise<Org> {
  const admin = await newUser(t.app, label);
  const created = await call('POST', '/v1/organizations', admin, { name: `${label} rentals` });
  const id = created.json<{ id: string }>().id;
  return { id, admin: await actIn(admin, id), inventory: await createInventoryFixture(t.database.db, id, { property }) };
}

async function member(org: Org, label: string, role: string): Promise<Session> {
  const user = await newUser(t.app, label);
  const invited = await call('POST', `/v1/organizations/${org.id}/invitations`, org.admin, { email: user.email, role });
  await call('POST', '/v1/invitations/accept', user, { token: invited.json<{ token: string }>().token });
  return actIn(user, org.id);
}

const monthlyListing = (inventory: InventoryFixture, extra: object = {}) => ({
  propertyId: inventory.propertyId,
  unitTypeId: inventory.unitTypeId,
  title: 'Bright double room by the harbour',
  description: 'Quiet room with a view over the river.',
  rentalModes: ['daily', 'monthly'],
  monthlyPrice: 120_000,
  ...extra,
});

async function createListing(org: Org, body: object = monthlyListing(org.inventory)): Promise<Listing> {
  const reply = await call('POST', '/v1/listings', org.admin, body);
  if (reply.statusCode !== 201) throw new Error(reply.body);
  return reply.json();
}

async function publish(org: Org, body?: object): Promise<Listing> {
  const listing = await createListing(org, body);
  expect((await call('POST', `/v1/listings/${listing.id}/submit`, org.admin)).statusCode).toBe(200);
  const approved = await call('POST', `/v1/admin/listings/${listing.id}/approve`, moderator);
  expect(approved.statusCode, approved.body).toBe(200);
  return approved.json();
}

async function marketplace(query = ''): Promise<{ data: PublicListing[]; total: number }> {
  const reply = await call('GET', `/v1/listings?${query}`, null);
  expect(reply.statusCode, reply.body).toBe(200);
  return reply.json();
}

async function auditOf(listingId: string) {
  const { rows } = await sql<{ action: string; orgId: string; actorUserId: string | null; before: Listing | null; after: Listing | null }>`
    SELECT action, org_id, actor_user_id, before, after FROM audit_log
    WHERE entity_type = 'listing' AND entity_id = ${listingId} ORDER BY occurred_at, id
  `.execute(t.database.owner);
  return rows;
}

async function eventsOf(listingId: string) {
  const { rows } = await sql<{ type: string; tenantId: string }>`
    SELECT type, tenant_id FROM outbox_event WHERE envelope -> 'data' ->> 'listingId' = ${listingId} ORDER BY seq
  `.execute(t.database.owner);
  return rows;
}

async function ratePlan(org: Org, basePrice: number): Promise<string> {
  const reply = await call('POST', `/v1/unit-types/${org.inventory.unitTypeId}/rate-plans`, org.admin, {
    name: 'Standard',
    code: `STD${basePrice}`,
    currency: 'EUR',
    basePrice,
  });
  if (reply.statusCode !== 201) throw new Error(reply.body);
  return reply.json<{ id: string }>().id;
}

describe('creating a listing', () => {
  it('checks the unit type, the unit, the prices of the modes and the cancellation policy', async () => {
    const org = await organization('create');
    const other = await createInventoryFixture(t.database.db, org.id, { units: 1, property: { name: 'Annex' }, unitType: { code: 'ANX' } });
    const refused = async (body: object, code: string) => {
      const reply = await call('POST', '/v1/listings', org.admin, monthlyListing(org.inventory, body));
      expect(reply.json(), JSON.stringify(body)).toMatchObject({ status: 422, code });
    };
    await refused({ unitTypeId: other.unitTypeId }, 'listings.unit_type_mismatch');
    await refused({ unitId: other.unitIds[0] }, 'listings.unit_mismatch');
    await refused({ propertyId: other.unitTypeId }, 'listings.property_unknown');
    await refused({ rentalModes: ['monthly', 'lease'] }, 'listings.price_required');
    await refused({ monthlyPrice: null }, 'listings.price_required');
    await refused({ minLeaseMonths: 12, maxLeaseMonths: 6 }, 'listings.invalid_terms');
    await refused({ cancellation: { policyId: other.propertyId } }, 'listings.cancellation_policy_unknown');

    const policy = await call('POST', '/v1/cancellation-policies', org.admin, {
      name: 'House rules',
      rules: { daily: [{ beforeCheckInHours: 48, refundNightsBps: 10_000, refundFeesBps: 10_000 }], monthly: [], lease: [] },
    });
    expect(policy.statusCode, policy.body).toBe(201);
    const policyId = policy.json<{ id: string }>().id;
    const created = await call(
      'POST',
      '/v1/listings',
      org.admin,
      monthlyListing(org.inventory, {
        unitId: org.inventory.unitIds[0],
        rentalModes: ['monthly', 'lease'],
        leaseRate: 100_000,
        securityDeposit: 200_000,
        minLeaseMonths: 6,
        furnishing: 'full',
        amenities: ['wifi', 'desk', 'wifi'],
        cancellation: { policyId },
        autoAccept: { monthly: true },
      }),
    );
    expect(created.statusCode, created.body).toBe(201);
    const listing = created.json<Listing>();
    expect(listing).toMatchObject({
      organizationId: org.id,
      currency: 'EUR',
      unitId: org.inventory.unitIds[0],
      moderationStatus: 'draft',
      amenities: ['wifi', 'desk'],
      cancellation: { policyId },
      autoAccept: { daily: true, monthly: true, lease: false },
      monthlyNoticePeriodDays: 30,
    });
    expect(await auditOf(listing.id)).toEqual([
      expect.objectContaining({ action: 'CREATE', before: null, after: partial({ title: listing.title }) }),
    ]);

    const terms = await transactionAsTenant(t.database.db, org.id, (tx) => listingTerms(tx, listing.id));
    expect(terms).toMatchObject({
      id: listing.id,
      orgId: org.id,
      leaseRate: 100_000,
      cancellation: { policyId },
      moderationStatus: 'draft',
    });
    const elsewhere = await organization('elsewhere');
    expect(await transactionAsTenant(t.database.db, elsewhere.id, (tx) => listingTerms(tx, listing.id))).toBeUndefined();
    expect(await publicListingOrganization(t.database.db, listing.id)).toBeUndefined();
  });
});

describe('moderation', () => {
  it('takes a listing from draft to the marketplace, and back to review when its content changes', async () => {
    const org = await organization('flow', { city: 'Porto', amenities: ['elevator'] });
    const listing = await createListing(org);

    // A draft is its organization's only.
    expect((await call('GET', `/v1/listings/${listing.id}`, null)).statusCode).toBe(404);
    expect((await call('GET', `/v1/listings/${listing.id}`, org.admin)).json()).toMatchObject({ moderationStatus: 'draft' });
    expect((await call('POST', `/v1/admin/listings/${listing.id}/approve`, moderator)).json()).toMatchObject({
      status: 404,
      code: 'listings.not_found',
    });

    const submitted = await call('POST', `/v1/listings/${listing.id}/submit`, org.admin);
    expect(submitted.json()).toMatchObject({ moderationStatus: 'pending_review', submittedAt: anyString });
    expect((await call('POST', `/v1/listings/${listing.id}/submit`, org.admin)).json()).toMatchObject({
      status: 409,
      code: 'listings.not_submittable',
    });
    // Only the platform moderates, and only from the platform organization.
    expect((await call('POST', `/v1/admin/listings/${listing.id}/approve`, org.admin)).json()).toMatchObject({
      status: 403,
      code: 'access.denied',
    });
    expect((await call('GET', '/v1/admin/listings/pending', org.admin)).statusCode).toBe(403);
    const pending = (await call('GET', '/v1/admin/listings/pending', moderator)).json<{ data: { id: string; organizationId: string }[] }>();
    expect(pending.data).toContainEqual(
      expect.objectContaining({ id: listing.id, organizationId: org.id, moderationStatus: 'pending_review' }),
    );
    expect((await marketplace('city=porto')).data).toEqual([]);

    const approved = await call('POST', `/v1/admin/listings/${listing.id}/approve`, moderator);
    expect(approved.json()).toMatchObject({ id: listing.id, moderationStatus: 'approved', reviewedAt: anyString });
    expect((await call('POST', `/v1/admin/listings/${listing.id}/approve`, moderator)).json()).toMatchObject({
      status: 409,
      code: 'listings.not_pending',
    });
    expect((await call('POST', `/v1/admin/listings/${listing.id}/reject`, moderator, { note: 'late' })).json()).toMatchObject({
      status: 409,
      code: 'listings.not_pending',
    });

    // Public now: in the search, and its full terms to anyone, read in its organization.
    expect((await marketplace('city=porto')).data).toEqual([
      expect.objectContaining({ id: listing.id, title: listing.title, monthlyPrice: 120_000, amenities: ['elevator'] }),
    ]);
    const seen = await call('GET', `/v1/listings/${listing.id}`, null);
    expect(seen.statusCode, seen.body).toBe(200);
    expect(seen.json()).toMatchObject({
      id: listing.id,
      organizationId: org.id,
      monthlyPrice: 120_000,
      moderationStatus: 'approved',
      property: { city: 'Porto', category: 'hospitality' },
      maxOccupancy: 2,
    });
    const stranger = await organization('stranger');
    expect((await call('GET', `/v1/listings/${listing.id}`, stranger.admin)).statusCode).toBe(200);
    expect(await publicListingOrganization(t.database.db, listing.id)).toBe(org.id);

    const approvals = (await auditOf(listing.id)).filter((row) => row.action === 'APPROVE');
    expect(approvals).toEqual([
      expect.objectContaining({
        orgId: org.id,
        actorUserId: moderator.userId,
        before: partial({ moderationStatus: 'pending_review' }),
        after: partial({ moderationStatus: 'approved' }),
      }),
    ]);

    // Prices and terms change without a new review…
    const repriced = await call('PATCH', `/v1/listings/${listing.id}`, org.admin, { monthlyPrice: 110_000, securityDeposit: 50_000 });
    expect(repriced.json()).toMatchObject({ moderationStatus: 'approved', monthlyPrice: 110_000 });
    expect((await marketplace('city=porto')).data).toEqual([expect.objectContaining({ monthlyPrice: 110_000 })]);
    // …but what a guest reads goes back to review, and off the marketplace meanwhile.
    const retitled = await call('PATCH', `/v1/listings/${listing.id}`, org.admin, { title: 'Best room in town!!!' });
    expect(retitled.json()).toMatchObject({ moderationStatus: 'pending_review', title: 'Best room in town!!!' });
    expect((await marketplace('city=porto')).data).toEqual([]);
    expect((await call('GET', `/v1/listings/${listing.id}`, null)).statusCode).toBe(404);

    const rejected = await call('POST', `/v1/admin/listings/${listing.id}/reject`, moderator, { note: 'No superlatives in titles' });
    expect(rejected.json()).toMatchObject({ moderationStatus: 'rejected', moderationNote: 'No superlatives in titles' });
    expect((await call('GET', `/v1/listings/${listing.id}`, org.admin)).json()).toMatchObject({
      moderationStatus: 'rejected',
      moderationNote: 'No superlatives in titles',
    });
    await call('PATCH', `/v1/listings/${listing.id}`, org.admin, { title: 'Double room by the harbour' });
    expect((await call('POST', `/v1/listings/${listing.id}/submit`, org.admin)).json()).toMatchObject({
      moderationStatus: 'pending_review',
    });
    await call('POST', `/v1/admin/listings/${listing.id}/approve`, moderator);
    expect((await marketplace('city=porto')).data.map((item) => item.title)).toEqual(['Double room by the harbour']);

    expect((await eventsOf(listing.id)).map((event) => event.type)).toEqual([
      'listing.created',
      'listing.submitted',
      'listing.approved',
      'listing.updated',
      'listing.updated',
      'listing.rejected',
      'listing.updated',
      'listing.submitted',
      'listing.approved',
    ]);
    expect(new Set((await eventsOf(listing.id)).map((event) => event.tenantId))).toEqual(new Set([org.id]));

    // A listing once submitted is deactivated, not deleted; a draft never submitted is deleted.
    expect((await call('DELETE', `/v1/listings/${listing.id}`, org.admin)).statusCode).toBe(204);
    expect((await call('GET', `/v1/listings/${listing.id}`, org.admin)).json()).toMatchObject({
      isActive: false,
      moderationStatus: 'approved',
    });
    expect((await marketplace('city=porto')).data).toEqual([]);
    const draft = await createListing(org);
    expect((await call('DELETE', `/v1/listings/${draft.id}`, org.admin)).statusCode).toBe(204);
    expect((await call('GET', `/v1/listings/${draft.id}`, org.admin)).statusCode).toBe(404);
    expect((await auditOf(draft.id)).map((row) => row.action)).toEqual(['CREATE', 'DELETE']);
  });
});

describe('the marketplace search', () => {
  it('filters by category, modes, price, place, furnishing and text, sorts and pages', async () => {
    const lisbon = await organization('lisbon', { city: 'Aveiro', country: 'PT', category: 'residential', propertyType: 'apartment' });
    const madrid = await organization('madrid', {
      city: 'Segovia',
      country: 'ES',
      category: 'hospitality',
      currency: 'EUR',
      timeZone: 'Europe/Madrid',
    });
    await ratePlan(madrid, 9_000);
    const flat = await publish(
      lisbon,
      monthlyListing(lisbon.inventory, {
        title: 'Furnished flat near the canals',
        description: 'Balcony and fibre internet',
        rentalModes: ['monthly', 'lease'],
        monthlyPrice: 90_000,
        leaseRate: 80_000,
        furnishing: 'full',
      }),
    );
    const studio = await publish(
      lisbon,
      monthlyListing(lisbon.inventory, { title: 'Unfurnished studio', rentalModes: ['lease'], monthlyPrice: null, leaseRate: 60_000 }),
    );
    const room = await publish(
      madrid,
      monthlyListing(madrid.inventory, { title: 'Room under the aqueduct', rentalModes: ['daily', 'monthly'], monthlyPrice: 150_000 }),
    );
    const ids = async (query: string) => (await marketplace(query)).data.map((item) => item.id);
    const mine = (list: string[]) => list.filter((id) => [flat.id, studio.id, room.id].includes(id));

    expect((await marketplace(`city=segovia`)).data).toEqual([
      expect.objectContaining({ id: room.id, dailyPrice: 9_000, monthlyPrice: 150_000 }),
    ]);
    expect(await ids('country=PT&city=Aveiro&sort=price_asc&priceMode=lease')).toEqual([studio.id, flat.id]);
    expect(await ids('country=pt&city=Aveiro&sort=price_desc&priceMode=lease')).toEqual([flat.id, studio.id]);
    expect(mine(await ids('category=residential'))).toEqual(expect.arrayContaining([flat.id, studio.id]));
    expect(mine(await ids('category=residential'))).toHaveLength(2);
    expect(mine(await ids('modes=daily'))).toEqual([room.id]);
    expect(mine(await ids('modes=daily,lease&pageSize=200')).sort()).toEqual([flat.id, studio.id, room.id].sort());
    expect(mine(await ids('modes=monthly&modes=daily&pageSize=200')).sort()).toEqual([flat.id, room.id].sort());
    expect(mine(await ids('priceMode=monthly&minPrice=100000&pageSize=200'))).toEqual([room.id]);
    expect(mine(await ids('priceMode=monthly&maxPrice=100000&pageSize=200'))).toEqual([flat.id]);
    expect(mine(await ids('minPrice=5000&maxPrice=10000&pageSize=200'))).toEqual([room.id]);
    expect(mine(await ids('furnishing=full&pageSize=200'))).toEqual([flat.id]);
    expect(await ids('q=fibre%20balcony')).toEqual([flat.id]);
    expect(await ids('q=aqueduct%20-canals')).toEqual([room.id]);
    expect(await ids('q=%22furnished%20flat%22')).toEqual([flat.id]);
    expect(await ids('q=segovia')).toEqual([room.id]);

    const first = await call('GET', '/v1/listings?city=Aveiro&pageSize=1&sort=newest', null);
    expect(first.json()).toMatchObject({ page: 1, pageSize: 1, total: 2, data: [{ id: studio.id }] });
    expect(first.headers.link).toContain('rel="next"');

    // scope=organization: the organization's own, in every status, for its staff only.
    const draft = await createListing(lisbon);
    expect((await call('GET', '/v1/listings?scope=organization', null)).statusCode).toBe(401);
    const own = await call('GET', '/v1/listings?scope=organization', lisbon.admin);
    expect(
      own
        .json<{ data: Listing[] }>()
        .data.map((item) => item.id)
        .sort(),
    ).toEqual([flat.id, studio.id, draft.id].sort());
    expect((await call('GET', '/v1/listings?scope=organization&moderationStatus=draft', lisbon.admin)).json()).toMatchObject({
      total: 1,
      data: [{ id: draft.id }],
    });
    expect(await ids('city=Aveiro')).not.toContain(draft.id);
  });
});

describe('who sees which listings', () => {
  it('an owner member sees the listings of their own properties only', async () => {
    const org = await organization('owners');
    const owner = await member(org, 'olga', 'owner');
    const theirs = await createInventoryFixture(t.database.db, org.id, {
      units: 1,
      owner: { name: 'Olga', userId: owner.userId },
      property: { name: 'Olga House' },
    });
    const hers = await createListing(org, monthlyListing(theirs, { title: 'Olga’s flat' }));
    const notHers = await createListing(org);

    const list = await call('GET', '/v1/listings?scope=organization', owner);
    expect(list.json<{ data: Listing[] }>().data.map((item) => item.id)).toEqual([hers.id]);
    expect((await call('GET', `/v1/listings/${hers.id}`, owner)).json()).toMatchObject({ id: hers.id, moderationStatus: 'draft' });
    expect((await call('GET', `/v1/listings/${notHers.id}`, owner)).statusCode).toBe(404);
    expect((await call('PATCH', `/v1/listings/${hers.id}`, owner, { title: 'Mine' })).statusCode).toBe(403);

    const viewer = await member(org, 'vera', 'viewer');
    expect((await call('GET', '/v1/listings?scope=organization', viewer)).json<{ total: number }>().total).toBe(2);
    const rival = await organization('rival');
    for (const [method, url, body] of [
      ['GET', `/v1/listings/${notHers.id}`],
      ['PATCH', `/v1/listings/${notHers.id}`, { title: 'x' }],
      ['POST', `/v1/listings/${notHers.id}/submit`],
      ['DELETE', `/v1/listings/${notHers.id}`],
    ] as const) {
      expect((await call(method, url, rival.admin, body)).statusCode, `${method} ${url}`).toBe(404);
    }
  });
});

describe('the published "from" price', () => {
  it('follows the rate plan of the unit type as pricing changes it', async () => {
    const org = await organization('prices', { city: 'Braga' });
    const listing = await publish(org);
    const published = async () => (await marketplace('city=braga')).data[0]?.dailyPrice;
    expect(await published()).toBeNull();

    const planId = await ratePlan(org, 8_500);
    await waitFor(async () => (await published()) === 8_500, { message: 'the from price of the new plan' });
    const changed = await call('PATCH', `/v1/rate-plans/${planId}`, org.admin, { basePrice: 7_900 });
    expect(changed.statusCode, changed.body).toBe(200);
    await waitFor(async () => (await published()) === 7_900, { message: 'the from price of the changed plan' });
    expect((await call('GET', `/v1/listings/${listing.id}`, null)).json()).toMatchObject({ fromPrice: { amount: 7_900, currency: 'EUR' } });
  });

  it('is copied again by the daily job, whatever changed without an event', async () => {
    const org = await organization('daily', { city: 'Faro' });
    await publish(org);
    const published = async () => (await marketplace('city=faro')).data[0]?.dailyPrice;
    const planId = await ratePlan(org, 9_900);
    await waitFor(async () => (await published()) === 9_900, { message: 'the from price of the new plan' });

    // As the day a cheap season ends: the price moves with no event to say so.
    await sql`UPDATE rate_plan SET base_price = 6500 WHERE id = ${planId}`.execute(t.database.owner);
    expect(await published()).toBe(9_900);
    const refreshed = await refreshPublishedPrices(t.database.db);
    expect(refreshed.listings).toBeGreaterThanOrEqual(1);
    expect(await published()).toBe(6_500);
  });
});

describe('following the inventory', () => {
  it('copies a property’s new place and a unit type’s capacity, and deactivates the listings of a deleted unit type', async () => {
    const org = await organization('follow', { city: 'Coimbra' });
    const listing = await publish(org);
    const moved = await call('PATCH', `/v1/properties/${org.inventory.propertyId}`, org.admin, { city: 'Tavira' });
    expect(moved.statusCode, moved.body).toBe(200);
    await waitFor(async () => (await marketplace('city=tavira')).total === 1, { message: 'the publication in its new city' });
    expect((await marketplace('city=coimbra')).total).toBe(0);
    const grown = await call('PATCH', `/v1/unit-types/${org.inventory.unitTypeId}`, org.admin, { maxOccupancy: 4, maxAdults: 4 });
    expect(grown.statusCode, grown.body).toBe(200);
    await waitFor(async () => (await marketplace('city=tavira')).data[0]?.maxOccupancy === 4, { message: 'the new capacity' });

    const empty = await createInventoryFixture(t.database.db, org.id, { units: 0, property: { name: 'Barn', city: 'Tavira' } });
    const barn = await publish(org, monthlyListing(empty, { title: 'Barn conversion' }));
    expect((await marketplace('city=tavira')).total).toBe(2);
    expect((await call('DELETE', `/v1/unit-types/${empty.unitTypeId}`, org.admin)).statusCode).toBe(204);
    await waitFor(async () => (await marketplace('city=tavira')).total === 1, { message: 'the listing of the deleted unit type gone' });
    expect((await marketplace('city=tavira')).data.map((item) => item.id)).toEqual([listing.id]);
    expect((await call('GET', `/v1/listings/${barn.id}`, org.admin)).json()).toMatchObject({ isActive: false, maxOccupancy: null });
    expect((await call('PATCH', `/v1/listings/${barn.id}`, org.admin, { isActive: true })).json()).toMatchObject({
      status: 422,
      code: 'listings.unit_type_mismatch',
    });
    const deactivated = (await auditOf(barn.id)).at(-1);
    expect(deactivated).toMatchObject({
      action: 'STATUS_CHANGE',
      actorUserId: null,
      before: { isActive: true },
      after: { isActive: false },
    });
  });
});
