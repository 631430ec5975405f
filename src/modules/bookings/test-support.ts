import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { expect } from 'vitest';
import { bearer, newUser, type Session, signIn, testPassword, uniqueEmail } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { todayIn } from '../../platform/dates.ts';
import type { TenureModule } from '../../platform/module.ts';
import { customersModule } from '../customers/index.ts';
import { identityModule } from '../identity/index.ts';
import { createInventoryFixture, type InventoryFixture, inventoryModule } from '../inventory/index.ts';
import { listingsModule } from '../listings/index.ts';
import { grantPlatformAdmin, organizationsModule, platformOrganizationId } from '../organizations/index.ts';
import { pricingModule } from '../pricing/index.ts';
import { bookingsModule } from './index.ts';
import type { BookingDetail } from './schemas.ts';

/** Helpers for the bookings module's tests: the real application, set up through the modules' own routes. */

export { bearer, newUser, type Session, uniqueEmail } from '../../../test/helpers/accounts.ts';

export const bookingModules: TenureModule[] = [
  identityModule,
  organizationsModule,
  inventoryModule,
  pricingModule,
  customersModule,
  listingsModule,
  bookingsModule,
];

/** The app with every module bookings needs; the rate limit is out of the way of the load tests. */
export async function bookingsTestApp(config: Record<string, string> = {}, options: { poolMax?: number } = {}): Promise<TestApp> {
  const settings = { RATE_LIMIT_MAX: '1000000', ...config };
  if (options.poolMax === undefined) return buildTestApp({ modules: bookingModules, config: settings });
  const database = await createTestDatabase({ poolMax: options.poolMax });
  const t = await buildTestApp({ modules: bookingModules, config: settings, database });
  return {
    ...t,
    // A database handed in outlives the app's `close`: drop it too.
    async close() {
      await t.close();
      await database.drop();
    },
  };
}

/** An organization and its admin, acting in it. */
export interface Host {
  orgId: string;
  admin: Session;
}

/** A test file's application (as `bookingsTestApp` makes it) and the organization whose stays it books; close `t` after the tests. */
export async function hostedBookingsApp(
  label: string,
  config: Record<string, string> = {},
  options: { poolMax?: number } = {},
): Promise<{ t: TestApp; host: Host }> {
  const t = await bookingsTestApp(config, options);
  return { t, host: await newOrganization(t, label) };
}

export const timeZone = 'Europe/Lisbon';

/** A date `days` from today at the fixtures' property (Lisbon). */
export function day(days: number): string {
  return todayIn(timeZone).add({ days }).toString();
}

export interface Http {
  get(url: string, session?: Session): Promise<LightMyRequestResponse>;
  post(url: string, session?: Session, payload?: object): Promise<LightMyRequestResponse>;
  patch(url: string, session: Session, payload: object): Promise<LightMyRequestResponse>;
}

export function http(t: TestApp): Http {
  const headers = (session?: Session) => (session ? bearer(session.accessToken) : {});
  return {
    get: (url, session) => t.app.inject({ method: 'GET', url, headers: headers(session) }),
    post: (url, session, payload) => t.app.inject({ method: 'POST', url, headers: headers(session), ...(payload ? { payload } : {}) }),
    patch: (url, session, payload) => t.app.inject({ method: 'PATCH', url, headers: headers(session), payload }),
  };
}

/** A reply whose JSON body is a `Body`, as the caller names it. */
export type Reply<Body> = Omit<LightMyRequestResponse, 'json'> & { json(): Body };

/** The reply's body, once the reply is known to have this status (its body is shown when it has not). */
export function expectStatus<Body>(reply: Reply<Body>, status: number): Body {
  expect(reply.statusCode, reply.body).toBe(status);
  return reply.json();
}

/** Switches the session to the organization and keeps the new access token. */
export async function switchTo(t: TestApp, session: Session, orgId: string): Promise<Session> {
  const reply = await http(t).post(`/v1/organizations/${orgId}/switch`, session);
  const { accessToken } = expectStatus<{ accessToken: string }>(reply, 200);
  return { ...session, accessToken };
}

/** A new organization and its admin, acting in it. */
export async function newOrganization(t: TestApp, label = 'host'): Promise<Host> {
  const admin = await newUser(t.app, label);
  const created = await http(t).post('/v1/organizations', admin, { name: `${label} rentals` });
  const { id } = expectStatus<{ id: string }>(created, 201);
  return { orgId: id, admin: await switchTo(t, admin, id) };
}

/** Invites the user into the organization with a role and switches them to it. */
export async function addMember(t: TestApp, admin: Session, orgId: string, role: string, label = role): Promise<Session> {
  const member = await newUser(t.app, label);
  const invited = await http(t).post(`/v1/organizations/${orgId}/invitations`, admin, { email: member.email, role });
  const { token } = expectStatus<{ token: string }>(invited, 201);
  expectStatus(await http(t).post('/v1/invitations/accept', member, { token }), 200);
  return switchTo(t, member, orgId);
}

/** A platform admin acting in the platform organization (moderates listings). */
export async function platformAdmin(t: TestApp): Promise<Session> {
  const email = uniqueEmail('moderator');
  await grantPlatformAdmin(t.database.db, { email, password: testPassword });
  const session = { ...(await signIn(t.app, email)), email };
  return switchTo(t, session, platformOrganizationId);
}

export interface Stay extends InventoryFixture {
  orgId: string;
  ratePlanId: string;
}

/**
 * A property in Lisbon with one unit type (`units` units, 2 guests each) and its default rate plan:
 * 100.00 EUR a night, no fees and no taxes unless asked.
 */
export async function createStay(
  t: TestApp,
  host: Host,
  options: { units?: number; basePrice?: number; cleaningFee?: number; maxOccupancy?: number; ownerUserId?: string } = {},
): Promise<Stay> {
  const inventory = await createInventoryFixture(t.database.db, host.orgId, {
    units: options.units ?? 2,
    ...(options.ownerUserId === undefined ? {} : { owner: { userId: options.ownerUserId } }),
    unitType: { maxOccupancy: options.maxOccupancy ?? 2, maxAdults: options.maxOccupancy ?? 2 },
  });
  const plan = await http(t).post(`/v1/unit-types/${inventory.unitTypeId}/rate-plans`, host.admin, {
    name: 'Best available',
    code: 'BAR',
    currency: 'EUR',
    basePrice: options.basePrice ?? 10_000,
    cleaningFee: options.cleaningFee ?? 0,
  });
  const { id } = expectStatus<{ id: string }>(plan, 201);
  return { ...inventory, orgId: host.orgId, ratePlanId: id };
}

/** A listing of the stay's unit type (or one unit), submitted and approved by the platform. */
export async function approvedListing(
  t: TestApp,
  host: { admin: Session },
  moderator: Session,
  stay: Stay,
  terms: Record<string, unknown> = {},
): Promise<string> {
  const created = await http(t).post('/v1/listings', host.admin, {
    propertyId: stay.propertyId,
    unitTypeId: stay.unitTypeId,
    title: 'Harbour view double',
    rentalModes: ['daily', 'monthly', 'lease'],
    monthlyPrice: 150_000,
    leaseRate: 120_000,
    securityDeposit: 50_000,
    ...terms,
  });
  const { id } = expectStatus<{ id: string }>(created, 201);
  expectStatus(await http(t).post(`/v1/listings/${id}/submit`, host.admin), 200);
  expectStatus(await http(t).post(`/v1/admin/listings/${id}/approve`, moderator), 200);
  return id;
}

/** POST /v1/bookings answering 201: the booking. */
export async function book(t: TestApp, session: Session, body: object): Promise<BookingDetail> {
  return expectStatus<BookingDetail>(await http(t).post('/v1/bookings', session, body), 201);
}

export function walkIn(label = 'Ines'): { firstName: string; lastName: string; email: string } {
  return { firstName: label, lastName: 'Walker', email: uniqueEmail(label.toLowerCase()) };
}

/** A daily stay of the unit type for a new walk-in guest, as staff ask for it (with any other fields of the request). */
export function walkInStay(stay: Pick<Stay, 'unitTypeId'>, checkIn: string, checkOut: string, fields: Record<string, unknown> = {}) {
  return { rentalMode: 'daily', unitTypeId: stay.unitTypeId, checkIn, checkOut, customer: walkIn(), ...fields };
}

/** Staff take a walk-in's stay to be paid online: approved, holding a unit until the payment or the hold's expiry. */
export function heldBooking(t: TestApp, session: Session, stay: Stay, checkIn: string, checkOut: string): Promise<BookingDetail> {
  return book(t, session, walkInStay(stay, checkIn, checkOut, { guarantee: 'online_payment' }));
}

/** The clock moves past the booking's hold, without the clean-up job having run: it expired a minute ago. */
export async function lapseHold(t: TestApp, bookingId: string): Promise<void> {
  await sql`UPDATE booking SET hold_expires_at = now() - interval '1 minute' WHERE id = ${bookingId}`.execute(t.database.owner);
  await sql`UPDATE occupancy SET expires_at = now() - interval '1 minute' WHERE booking_id = ${bookingId} AND released_at IS NULL`.execute(
    t.database.owner,
  );
}

export interface AuditRow {
  action: string;
  entityId: string;
}

/** The audit rows of one booking, oldest first. */
export async function auditActionsOf(t: TestApp, bookingId: string): Promise<string[]> {
  const { rows } = await sql<AuditRow>`
    SELECT action, entity_id FROM audit_log WHERE entity_type = 'booking' AND entity_id = ${bookingId} ORDER BY occurred_at, id
  `.execute(t.database.owner);
  return rows.map((row) => row.action);
}

/** The outbox event types about one booking, in order. */
export async function eventTypesOf(t: TestApp, bookingId: string): Promise<string[]> {
  const { rows } = await sql<{ type: string }>`
    SELECT type FROM outbox_event WHERE aggregate_type = 'booking' AND aggregate_id = ${bookingId} ORDER BY seq
  `.execute(t.database.owner);
  return rows.map((row) => row.type);
}

/** The active occupancy rows of units (the owner's view, across organizations). */
export async function activeOccupancyOf(
  t: TestApp,
  unitIds: string[],
): Promise<{ unitId: string; bookingId: string | null; kind: string; from: string; to: string }[]> {
  const { rows } = await sql<{ unitId: string; bookingId: string | null; kind: string; from: string; to: string }>`
    SELECT unit_id, booking_id, kind, lower(nights)::text AS "from", upper(nights)::text AS "to"
    FROM occupancy WHERE unit_id = ANY(${unitIds}::uuid[]) AND released_at IS NULL ORDER BY unit_id, lower(nights)
  `.execute(t.database.owner);
  return rows;
}
