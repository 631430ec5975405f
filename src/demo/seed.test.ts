import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../test/helpers/app.ts';
import { modules } from '../modules/index.ts';
import { ledgerConsistent } from '../modules/payments/test-support.ts';
import {
  demoAdmin,
  demoOrganizationName,
  demoSkipReason,
  describeDemo,
  type DemoOutcome,
  seedDemo,
  seedDemoOnFirstStart,
} from './index.ts';

let t: TestApp;
let first: DemoOutcome;
let staff: Record<string, string>;
let organizationId: string;

async function get<Body>(url: string, headers: Record<string, string> = {}): Promise<Body> {
  const reply = await t.app.inject({ method: 'GET', url, headers });
  expect(reply.statusCode, reply.body).toBe(200);
  return reply.json<Body>();
}

beforeAll(async () => {
  t = await buildTestApp({ modules });
  first = await seedDemo({ app: t.app, db: t.database.db, config: t.config });
  expect(first.status, JSON.stringify(first)).toBe('seeded');
  const login = await t.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email: demoAdmin.email, password: demoAdmin.password },
  });
  expect(login.statusCode, login.body).toBe(200);
  const { accessToken } = login.json<{ accessToken: string }>();
  const { data } = await get<{ data: { id: string; name: string; role: string }[] }>('/v1/organizations', bearer(accessToken));
  const organization = data.find((candidate) => candidate.name === demoOrganizationName);
  expect(organization?.role).toBe('admin');
  organizationId = organization!.id;
  const switched = await t.app.inject({
    method: 'POST',
    url: `/v1/organizations/${organization!.id}/switch`,
    headers: bearer(accessToken),
  });
  expect(switched.statusCode, switched.body).toBe(200);
  staff = bearer(switched.json<{ accessToken: string }>().accessToken);
});

afterAll(async () => {
  await t.close();
});

describe('the demo data', () => {
  it('gives the demo admin an organization with a hotel and a block of apartments', async () => {
    const properties = await get<{ data: { id: string; category: string; city: string; currency: string }[] }>('/v1/properties', staff);
    const hotel = properties.data.find((property) => property.category === 'hospitality');
    const apartments = properties.data.find((property) => property.category === 'residential');
    expect(hotel).toMatchObject({ city: 'Lisbon', currency: 'EUR' });
    expect(apartments).toMatchObject({ city: 'Nairobi', currency: 'KES' });
    const roomTypes = await get<{ total: number }>(`/v1/properties/${hotel!.id}/unit-types`, staff);
    const rooms = await get<{ total: number }>(`/v1/properties/${hotel!.id}/units`, staff);
    const taxes = await get<{ data: { name: string }[] }>(`/v1/properties/${hotel!.id}/taxes`, staff);
    expect(roomTypes.total).toBe(3);
    expect(rooms.total).toBe(10);
    expect(taxes.data.map((tax) => tax.name)).toContain('Lisbon city tax');
    expect((await get<{ total: number }>(`/v1/properties/${apartments!.id}/units`, staff)).total).toBe(5);
  });

  it('publishes its listings in the marketplace', async () => {
    const listings = await get<{ total: number; data: { city: string; rentalModes: string[]; dailyPrice: number | null }[] }>(
      '/v1/listings',
    );
    expect(listings.total).toBe(5);
    for (const listing of listings.data.filter((candidate) => candidate.city === 'Lisbon')) expect(listing.dailyPrice).toBeGreaterThan(0);
    expect(new Set(listings.data.map((listing) => listing.city))).toEqual(new Set(['Lisbon', 'Nairobi']));
    expect(new Set(listings.data.flatMap((listing) => listing.rentalModes))).toEqual(new Set(['daily', 'monthly', 'lease']));
  });

  it('has bookings in at least five statuses, of every rental mode', async () => {
    const bookings = await get<{ data: { status: string; rentalMode: string }[] }>('/v1/bookings?pageSize=200', staff);
    const statuses = new Set(bookings.data.map((booking) => booking.status));
    expect(statuses.size, [...statuses].join(', ')).toBeGreaterThanOrEqual(5);
    expect(statuses).toEqual(new Set(['pending', 'confirmed', 'checked_in', 'checked_out', 'completed', 'cancelled']));
    expect(new Set(bookings.data.map((booking) => booking.rentalMode))).toEqual(new Set(['daily', 'monthly', 'lease']));
  });

  it('has one blacklisted customer', async () => {
    const blacklisted = await get<{ total: number }>('/v1/customers?blacklisted=true', staff);
    const all = await get<{ total: number }>('/v1/customers', staff);
    expect(blacklisted.total).toBe(1);
    expect(all.total).toBeGreaterThanOrEqual(6);
  });

  it('shows money: bookings paid online, a released escrow, a payout, a cash deposit and a charge invoice', async () => {
    interface Payment {
      purpose: string;
      method: string;
      provider: string;
      status: string;
      escrowStatus: string;
      payeeOwnerId: string | null;
    }
    const payments = await get<{ data: Payment[] }>('/v1/payments?pageSize=100', staff);
    const online = payments.data.filter((payment) => payment.purpose === 'booking');
    expect(online.map((payment) => [payment.method, payment.provider, payment.status]).sort()).toEqual([
      ['bank_transfer', 'sandbox', 'succeeded'],
      ['card', 'sandbox', 'succeeded'],
    ]);
    // The lease's move-in went to its owner once the keys were handed over; the hotel room waits for its guest.
    expect(online.map((payment) => payment.escrowStatus).sort()).toEqual(['held', 'released']);
    expect(payments.data).toContainEqual(
      expect.objectContaining({ purpose: 'deposit', method: 'cash', provider: 'manual', status: 'succeeded' }),
    );

    const released = online.find((payment) => payment.escrowStatus === 'released')!;
    const payouts = await get<{ data: { ownerId: string; status: string; amount: number; currency: string }[] }>('/v1/payouts', staff);
    expect(payouts.data).toEqual([expect.objectContaining({ ownerId: released.payeeOwnerId, status: 'succeeded', currency: 'KES' })]);
    const wallet = await get<{ balances: { currency: string; available: number; pending: number; inTransit: number }[] }>(
      `/v1/wallet?ownerId=${released.payeeOwnerId!}`,
      staff,
    );
    // Half of what the owner could withdraw was paid out; the other half is hers to try a payout with.
    const balance = wallet.balances.find((candidate) => candidate.currency === 'KES')!;
    expect(balance).toMatchObject({ pending: 0, inTransit: 0 });
    expect(balance.available).toBeGreaterThan(0);
    expect(balance.available).toBeGreaterThanOrEqual(payouts.data[0]!.amount);

    const invoices = await get<{ data: { bookingId: string | null; status: string; total: number; currency: string }[] }>(
      '/v1/invoices',
      staff,
    );
    expect(invoices.data).toContainEqual(expect.objectContaining({ bookingId: null, status: 'issued', total: 5_350, currency: 'EUR' }));

    // The books balance: in the trial balance the API shows, and posting by posting.
    const trial = await get<{ balanced: boolean; totals: { currency: string }[] }>('/v1/ledger/trial-balance', staff);
    expect(trial.balanced).toBe(true);
    expect(trial.totals.map((total) => total.currency).sort()).toEqual(['EUR', 'KES']);
    expect(await ledgerConsistent(t, organizationId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
  });

  it('says how to sign in', () => {
    if (first.status !== 'seeded') throw new Error('not seeded');
    const text = describeDemo(first, 'http://127.0.0.1:3000');
    expect(text).toContain(demoAdmin.email);
    expect(text).toContain(demoAdmin.password);
    expect(text).toContain(demoOrganizationName);
  });

  it('is seeded once: a second run changes nothing', async () => {
    const before = await get<{ total: number }>('/v1/bookings', staff);
    await expect(seedDemo({ app: t.app, db: t.database.db, config: t.config })).resolves.toMatchObject({ status: 'skipped' });
    const organizations = await t.database.db.selectFrom('organization').select('id').where('name', '=', demoOrganizationName).execute();
    expect(organizations).toHaveLength(1);
    expect((await get<{ total: number }>('/v1/bookings', staff)).total).toBe(before.total);
  });

  it('is seeded at start-up only on an empty embedded database with DEMO_DATA=auto, never in production', async () => {
    const db = t.database.db;
    const config = { DEMO_DATA: 'auto', DATABASE_URL: undefined, NODE_ENV: 'development' } as const;
    expect(await demoSkipReason({ config, embedded: true, runsApi: true, db })).toBe('the database has organizations already');
    expect(await demoSkipReason({ config: { ...config, NODE_ENV: 'production' }, embedded: true, runsApi: true, db })).toBe(
      'NODE_ENV=production',
    );
    expect(await demoSkipReason({ config: { ...config, DEMO_DATA: 'off' }, embedded: true, runsApi: true, db })).toBe('DEMO_DATA=off');
    expect(
      await demoSkipReason({ config: { ...config, DATABASE_URL: 'postgres://x@db/tenure' }, embedded: false, runsApi: true, db }),
    ).toBe('the database is not the embedded one');
  });
});

describe('a demo that fails', () => {
  it('logs the failing step with the reply and lets the platform start', async () => {
    // No modules: the first step, signing up, finds no route.
    const bare = await buildTestApp({ modules: [] });
    try {
      const errors: string[] = [];
      const printed: string[] = [];
      await seedDemoOnFirstStart({
        app: bare.app,
        db: bare.database.db,
        config: { ...bare.config, DEMO_DATA: 'auto', DATABASE_URL: undefined, NODE_ENV: 'development' },
        embedded: true,
        runsApi: true,
        url: 'http://127.0.0.1:3000',
        logger: { info: () => undefined, error: (message: string) => void errors.push(message) } as never,
        print: (text) => void printed.push(text),
      });
      expect(printed).toEqual([]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/step "sign up the demo admin" failed with 404: .*"status":404/);
    } finally {
      await bare.close();
    }
  });
});
