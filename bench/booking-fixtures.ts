import { randomBytes } from 'node:crypto';
import { createInventoryFixture } from '../src/modules/inventory/index.ts';
import { grantPlatformAdmin, platformOrganizationId } from '../src/modules/organizations/index.ts';
import { createRatePlanFixture } from '../src/modules/pricing/index.ts';
import { todayIn } from '../src/platform/dates.ts';
import { createDatabase, createPool } from '../src/platform/db/database.ts';
import { runLoops } from './stats.ts';

/**
 * What the bookings and availability scenarios book and read, made the way a client would: accounts,
 * an organization and its listing through Tenure's routes on the server under test; the property,
 * its unit types and units and their rate plans with the modules' own fixture helpers (their use
 * cases, in the application's role), as the modules' tests make them.
 */

export const benchTimeZone = 'Europe/Lisbon';

/** The date `days` after today at the fixtures' property (Lisbon). Stays start tomorrow at the earliest. */
export function day(days: number): string {
  return todayIn(benchTimeZone).add({ days }).toString();
}

export interface Reply<T> {
  status: number;
  body: T;
  text: string;
}

/** A small JSON client of the server under test, for set-up and checks: never used under load. */
export class TenureClient {
  constructor(readonly baseUrl: string) {}

  async call<T = unknown>(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let body: unknown = undefined;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      // Not JSON: `text` has it.
    }
    return { status: response.status, body: body as T, text };
  }

  /** The reply's body when it has `status`; otherwise an error that shows what came back. */
  async expect<T = unknown>(
    status: number,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<T> {
    const reply = await this.call<T>(method, path, options);
    if (reply.status !== status) throw new Error(`${method} ${path} answered ${reply.status}, not ${status}: ${reply.text.slice(0, 500)}`);
    return reply.body;
  }
}

const password = `bench-harbour-lantern-${randomBytes(6).toString('hex')}`;

function benchEmail(label: string): string {
  return `bench.${label}.${randomBytes(4).toString('hex')}@example.test`;
}

async function signIn(client: TenureClient, email: string): Promise<string> {
  const { accessToken } = await client.expect<{ accessToken: string }>(200, 'POST', '/v1/auth/login', { body: { email, password } });
  return accessToken;
}

async function switchTo(client: TenureClient, token: string, orgId: string): Promise<string> {
  const { accessToken } = await client.expect<{ accessToken: string }>(200, 'POST', `/v1/organizations/${orgId}/switch`, { token });
  return accessToken;
}

export interface UnitTypeFixture {
  propertyId: string;
  unitTypeId: string;
  unitIds: string[];
  ratePlanId: string;
}

export interface Host {
  client: TenureClient;
  orgId: string;
  /** The organization's admin, acting in it: staff who book for anyone there. */
  token: string;
  /** A customer of the organization that the bookings are for. */
  customerId: string;
  /** A property with one unit type of `units` units and its default rate plan: 100.00 EUR a night, dearer on Fridays and Saturdays and in summer. */
  unitType(units: number, code: string): Promise<UnitTypeFixture>;
  /** Prices and restrictions on some nights of the plan, through its route: Saturdays' minimum stay, a dear week, a stop-sell. */
  restrictNights(fixture: UnitTypeFixture): Promise<void>;
  /** A listing of the unit type (every unit, daily stays), submitted and approved by a platform admin. */
  approvedListing(fixture: UnitTypeFixture): Promise<string>;
}

/** A new account with a new organization, and a customer there: the staff side of every booking. */
export async function createHost(baseUrl: string, databaseUrl: string, label: string): Promise<Host> {
  const client = new TenureClient(baseUrl);
  const email = benchEmail(label);
  await client.expect(201, 'POST', '/v1/auth/register', { body: { email, password } });
  const signedIn = await signIn(client, email);
  const { id: orgId } = await client.expect<{ id: string }>(201, 'POST', '/v1/organizations', {
    token: signedIn,
    body: { name: `Bench ${label} rentals` },
  });
  const token = await switchTo(client, signedIn, orgId);
  const { id: customerId } = await client.expect<{ id: string }>(201, 'POST', '/v1/customers', {
    token,
    body: { firstName: 'Ines', lastName: 'Walker', email: benchEmail('guest') },
  });

  const withDatabase = async <T>(work: (db: ReturnType<typeof createDatabase>) => Promise<T>): Promise<T> => {
    // The application's role, as the modules' tests use their fixture helpers.
    const db = createDatabase(createPool({ url: databaseUrl, poolMax: 2, applicationName: 'tenure-bench-fixtures' }));
    try {
      return await work(db);
    } finally {
      await db.destroy();
    }
  };

  return {
    client,
    orgId,
    token,
    customerId,
    unitType: (units, code) =>
      withDatabase(async (db) => {
        const inventory = await createInventoryFixture(db, orgId, {
          units,
          property: { name: `Harbour House ${code}`, timeZone: benchTimeZone },
          unitType: { name: `Double room ${code}`, code, maxOccupancy: 2, maxAdults: 2 },
        });
        const { ratePlanId } = await createRatePlanFixture(db, orgId, {
          unitTypeId: inventory.unitTypeId,
          plan: { basePrice: 10_000, weekdayPrices: { fri: 12_000, sat: 12_000 } },
          seasons: [{ name: 'Summer', from: day(150), to: day(240), price: 15_000, weekdayPrices: { sat: 18_000 } }],
        });
        return { propertyId: inventory.propertyId, unitTypeId: inventory.unitTypeId, unitIds: inventory.unitIds, ratePlanId };
      }),
    async restrictNights(fixture) {
      const changes = [
        { from: day(1), to: day(366), weekdays: ['sat'], minStay: 2 },
        { from: day(100), to: day(107), price: 20_000, closedToArrival: true },
        { from: day(300), to: day(303), stopSell: true },
      ];
      for (const body of changes) await client.expect(200, 'PUT', `/v1/rate-plans/${fixture.ratePlanId}/nights`, { token, body });
    },
    async approvedListing(fixture) {
      const { id } = await client.expect<{ id: string }>(201, 'POST', '/v1/listings', {
        token,
        body: { propertyId: fixture.propertyId, unitTypeId: fixture.unitTypeId, title: 'Harbour view double', rentalModes: ['daily'] },
      });
      await client.expect(200, 'POST', `/v1/listings/${id}/submit`, { token });
      const moderatorEmail = benchEmail('moderator');
      await withDatabase((db) => grantPlatformAdmin(db, { email: moderatorEmail, password }));
      const moderator = await switchTo(client, await signIn(client, moderatorEmail), platformOrganizationId);
      await client.expect(200, 'POST', `/v1/admin/listings/${id}/approve`, { token: moderator });
      return id;
    },
  };
}

/** A deterministic stream of numbers in [0, 1), so every run books the same nights. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Fills the unit type's year the way a season of trade would: `count` staff bookings of 1 to 7
 * nights starting anywhere in the next `nights` nights (one in ten only held, awaiting an online
 * payment), then `blocks` blocks of a week on some of its units. Sent by 8 clients at a time; a
 * stay that finds every unit taken is simply not booked.
 */
export async function fillYear(
  host: Host,
  fixture: UnitTypeFixture,
  options: { count: number; blocks: number; nights: number },
): Promise<{ booked: number; held: number; refused: number; blocked: number }> {
  const random = seededRandom(20_261_121);
  const stays = Array.from({ length: options.count }, (_, index) => {
    const start = 1 + Math.floor(random() * (options.nights - 1));
    const length = 1 + Math.floor(random() * 7);
    return { checkIn: day(start), checkOut: day(Math.min(start + length, options.nights + 1)), held: index % 10 === 9 };
  });
  const counts = { booked: 0, held: 0, refused: 0, blocked: 0 };
  const loop = await runLoops({
    workers: 8,
    total: stays.length,
    operation: async (index) => {
      const stay = stays[index]!;
      const reply = await host.client.call('POST', '/v1/bookings', {
        token: host.token,
        body: {
          rentalMode: 'daily',
          unitTypeId: fixture.unitTypeId,
          checkIn: stay.checkIn,
          checkOut: stay.checkOut,
          customerId: host.customerId,
          guarantee: stay.held ? 'online_payment' : 'pay_at_property',
        },
      });
      if (reply.status === 201) counts[stay.held ? 'held' : 'booked']++;
      else if (reply.status === 409) counts.refused++;
      else throw new Error(`POST /v1/bookings answered ${reply.status}: ${reply.text.slice(0, 300)}`);
    },
  });
  if (loop.errors > 0) throw new Error(`filling the year: ${loop.firstError ?? 'unknown error'}`);
  for (let index = 0; index < options.blocks; index++) {
    const unitId = fixture.unitIds[(index * 3) % fixture.unitIds.length]!;
    const start = 1 + Math.floor(random() * (options.nights - 8));
    const reply = await host.client.call('POST', `/v1/units/${unitId}/blocks`, {
      token: host.token,
      body: { from: day(start), to: day(start + 7), reason: 'maintenance' },
    });
    if (reply.status === 201) counts.blocked++;
    else if (reply.status !== 409) throw new Error(`POST /v1/units/${unitId}/blocks answered ${reply.status}: ${reply.text.slice(0, 300)}`);
  }
  return counts;
}
