import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modules } from '../../src/modules/index.ts';
import { grantPlatformAdmin, platformOrganizationId } from '../../src/modules/organizations/index.ts';
import { advanceSandbox, balancesOf, ledgerConsistent } from '../../src/modules/payments/test-support.ts';
import { firstOfNextMonth, todayIn } from '../../src/platform/dates.ts';
import { bearer, newUser, type Session, signIn, testPassword, uniqueEmail } from '../helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The DirectPay demo script (seeds/003, "Quick Demo Script"), played against the whole
 * application through its HTTP API: Alice lets 123 Main St, Bob rents it, and Bob pays the March
 * rent of 1,500.00 USD by bank transfer — clicking "pay" twice — and watches the payment go from
 * pending to processing to succeeded, with every step in its history.
 *
 * The story runs in order: each step builds on the one before, as in a live demo.
 */

let t: TestApp;

interface Reply<Body> {
  statusCode: number;
  headers: Record<string, unknown>;
  body: Body;
}

async function call<Body = { id: string }>(
  method: 'GET' | 'POST',
  url: string,
  caller: { accessToken: string },
  payload?: object,
  headers: Record<string, string> = {},
): Promise<Reply<Body>> {
  const reply = await t.app.inject({
    method,
    url,
    headers: { ...bearer(caller.accessToken), ...headers },
    ...(payload ? { payload } : {}),
  });
  return { statusCode: reply.statusCode, headers: reply.headers, body: reply.json<Body>() };
}

/** The reply's body, once its status is the one expected (the body is shown when it is not). */
async function expectReply<Body = { id: string }>(expected: number, reply: Promise<Reply<Body>>): Promise<Body> {
  const { statusCode, body } = await reply;
  expect(statusCode, JSON.stringify(body)).toBe(expected);
  return body;
}

/** The same user, acting in an organization they belong to. */
async function actingIn(session: Session, organizationId: string): Promise<Session> {
  const switched = await expectReply<{ accessToken: string }>(200, call('POST', `/v1/organizations/${organizationId}/switch`, session));
  return { ...session, accessToken: switched.accessToken };
}

interface Payment {
  id: string;
  status: string;
  purpose: string;
  amount: number;
  currency: string;
  method: string;
  rail: string | null;
  provider: string;
  payerCustomerId: string | null;
  payeeOwnerId: string | null;
  payerBankAccountId: string | null;
  idempotencyKey: string | null;
  expectedSettlementAt: string | null;
  succeededAt: string | null;
  updatedAt: string;
  version: number;
}

interface History {
  paymentId: string;
  events: {
    sequence: number;
    type: string;
    fromStatus: string | null;
    toStatus: string;
    actor: { type: string; id: string | null };
    snapshot: Record<string, unknown>;
    occurredAt: string;
  }[];
  replayed: Record<string, unknown>;
}

const zone = 'America/New_York';
/** Rent is due on the 1st: the lease starts on the first of next month ("March"). */
const leaseStart = firstOfNextMonth(todayIn(zone)).toString();

/** What the story has made so far. */
const story = {
  alice: undefined as unknown as Session,
  bob: undefined as unknown as Session,
  organizationId: '',
  aliceAsOwnerId: '',
  listingId: '',
  bobAsCustomerId: '',
  bobAccountId: '',
  paymentId: '',
};

/** What the renter's "pay the March rent" button sends: always the same request. */
const marchRent = () => ({
  purpose: 'other',
  payeeOwnerId: story.aliceAsOwnerId,
  amount: 150_000,
  currency: 'USD',
  method: 'bank_transfer',
  rail: 'STANDARD_ACH',
  payerBankAccountId: story.bobAccountId,
  description: 'Rent for March, 123 Main St',
});

/**
 * A click on the button: the request with its idempotency key in the body, which the payments
 * answer themselves — 201 the first time, 200 with the same payment after. (The same key sent twice
 * in the Idempotency-Key header is answered by the platform's stored response instead: the first
 * 201, replayed.)
 */
const payMarchRent = () => call<Payment>('POST', '/v1/payments', story.bob, { ...marchRent(), idempotencyKey: 'payment-march-123' });

beforeAll(async () => {
  t = await buildTestApp({ modules });
});

afterAll(async () => {
  await t.close();
});

describe('the DirectPay demo script', () => {
  it('step 1: Alice, a landlord, and Bob, who will rent from her, sign up', async () => {
    const alice = await newUser(t.app, 'alice');
    story.bob = await newUser(t.app, 'bob');

    // Alice runs her lettings as an organization, of which she is the admin…
    const organization = await expectReply(201, call('POST', '/v1/organizations', alice, { name: 'Alice Lettings' }));
    story.organizationId = organization.id;
    story.alice = await actingIn(alice, organization.id);

    // …and is the owner of what she lets: an owner record linked to her own login.
    const owner = await expectReply<{ id: string; userId: string | null }>(
      201,
      call('POST', '/v1/owners', story.alice, { name: 'Alice Landlord', email: alice.email, userId: alice.userId }),
    );
    expect(owner.userId).toBe(alice.userId);
    story.aliceAsOwnerId = owner.id;
  });

  it('step 2: Alice puts 123 Main St on the marketplace, for rent at 1,500.00 a month', async () => {
    const property = await expectReply(
      201,
      call('POST', '/v1/properties', story.alice, {
        ownerId: story.aliceAsOwnerId,
        name: '123 Main St',
        category: 'residential',
        propertyType: 'apartment',
        addressLine1: '123 Main St',
        city: 'Springfield',
        region: 'IL',
        postalCode: '62701',
        country: 'US',
        timeZone: zone,
        currency: 'USD',
      }),
    );
    const unitType = await expectReply(
      201,
      call('POST', `/v1/properties/${property.id}/unit-types`, story.alice, {
        name: 'Two-bedroom apartment',
        code: '2BR',
        maxOccupancy: 4,
        maxAdults: 4,
      }),
    );
    const unit = await expectReply(
      201,
      call('POST', `/v1/properties/${property.id}/units`, story.alice, { unitTypeId: unitType.id, name: 'Apartment 1' }),
    );
    const listing = await expectReply(
      201,
      call('POST', '/v1/listings', story.alice, {
        propertyId: property.id,
        unitTypeId: unitType.id,
        unitId: unit.id,
        title: '123 Main St, two bedrooms',
        rentalModes: ['lease'],
        leaseRate: 150_000,
        securityDeposit: 150_000,
        minLeaseMonths: 12,
        maxLeaseMonths: 24,
      }),
    );
    story.listingId = listing.id;

    // The platform's moderators approve listings before the marketplace shows them.
    await expectReply(200, call('POST', `/v1/listings/${listing.id}/submit`, story.alice));
    const moderatorEmail = uniqueEmail('moderator');
    await grantPlatformAdmin(t.database.db, { email: moderatorEmail, password: testPassword });
    const moderator = await actingIn({ ...(await signIn(t.app, moderatorEmail)), email: moderatorEmail }, platformOrganizationId);
    await expectReply(200, call('POST', `/v1/admin/listings/${listing.id}/approve`, moderator));
  });

  it('step 3: Bob asks for a 12-month lease from the 1st; Alice accepts, and Bob is her renter', async () => {
    // A user becomes a renter — a `customer` member of the landlord's organization, with a customer
    // record of their own login — by asking for a stay through the marketplace. (Staff add customers
    // without a login; POST /v1/customers takes no userId.)
    const request = await expectReply<{ id: string; status: string; rentalMode: string }>(
      201,
      call('POST', '/v1/bookings', story.bob, {
        rentalMode: 'lease',
        listingId: story.listingId,
        startDate: leaseStart,
        termMonths: 12,
        adults: 2,
      }),
    );
    expect(request).toMatchObject({ status: 'pending', rentalMode: 'lease' });
    const accepted = await expectReply<{ status: string }>(200, call('POST', `/v1/bookings/${request.id}/approve`, story.alice));
    expect(accepted.status).toBe('approved');
    // The booking holds the apartment for Bob. The lease's rent schedule (March 1st, then every 1st)
    // comes with leases, a later capability: until then Bob pays each month's rent as a payment of
    // purpose `other` to Alice (step 5); with leases it becomes a `lease_charge` naming its `leaseId`.

    story.bob = await actingIn(story.bob, story.organizationId);
    const own = await expectReply<{ data: { id: string; userId: string | null }[] }>(200, call('GET', '/v1/customers', story.bob));
    expect(own.data).toEqual([expect.objectContaining({ userId: story.bob.userId })]);
    story.bobAsCustomerId = own.data[0]!.id;
  });

  it('step 4: Bob connects his checking account to pay from, Alice hers to be paid to', async () => {
    const account = { country: 'US', currency: 'USD', accountType: 'checking', routingNumber: '021000021' };
    const bobs = await expectReply<{ id: string; isPrimary: boolean; accountNumberLast4: string }>(
      201,
      call('POST', '/v1/bank-accounts', story.bob, {
        ...account,
        holderType: 'customer',
        holderId: story.bobAsCustomerId,
        holderName: 'Bob Renter',
        bankName: 'Chase',
        accountNumber: '000123456789',
      }),
    );
    // Tokenised: only the last four digits are ever shown.
    expect(bobs).toMatchObject({ isPrimary: true, accountNumberLast4: '6789' });
    expect(JSON.stringify(bobs)).not.toContain('000123456789');
    story.bobAccountId = bobs.id;

    const alices = await expectReply<{ holderType: string; isPrimary: boolean }>(
      201,
      call('POST', '/v1/bank-accounts', story.alice, {
        ...account,
        holderType: 'owner',
        holderId: story.aliceAsOwnerId,
        holderName: 'Alice Landlord',
        bankName: 'Chase',
        accountNumber: '000987654321',
      }),
    );
    // Alice's account is where her payouts go: what owners are owed is paid out to it (POST /v1/payouts).
    expect(alices).toMatchObject({ holderType: 'owner', isPrimary: true });

    // Each sees their own: Bob, a customer, only his.
    const bobSees = await expectReply<{ data: { id: string }[] }>(200, call('GET', '/v1/bank-accounts', story.bob));
    expect(bobSees.data.map((seen) => seen.id)).toEqual([story.bobAccountId]);
  });

  it('step 5: Bob pays the March rent by bank transfer, clicks twice, and one payment is made', async () => {
    const first = await payMarchRent();
    expect(first.statusCode, JSON.stringify(first.body)).toBe(201);
    expect(first.body).toMatchObject({
      purpose: 'other',
      amount: 150_000,
      currency: 'USD',
      method: 'bank_transfer',
      rail: 'STANDARD_ACH',
      provider: 'sandbox',
      payerCustomerId: story.bobAsCustomerId,
      payeeOwnerId: story.aliceAsOwnerId,
      payerBankAccountId: story.bobAccountId,
      idempotencyKey: 'payment-march-123',
    });
    story.paymentId = first.body.id;

    // "Idempotency key already exists. Returning existing transaction."
    const second = await payMarchRent();
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body.id).toBe(first.body.id);

    // A client that sends the key in the Idempotency-Key header instead reaches the same payment.
    const retried = await call<Payment>('POST', '/v1/payments', story.bob, marchRent(), { 'idempotency-key': 'payment-march-123' });
    expect(retried.statusCode).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body.id).toBe(first.body.id);

    // The key with another request is refused, never a second payment.
    const altered = await call<{ code: string }>('POST', '/v1/payments', story.bob, {
      ...marchRent(),
      amount: 15_000,
      idempotencyKey: 'payment-march-123',
    });
    expect(altered.statusCode).toBe(422);
    expect(altered.body.code).toBe('payments.idempotency_key_reused');

    // ✅ Only ONE transaction: as Bob sees his payments, and as Alice sees the organization's.
    for (const who of [story.bob, story.alice]) {
      const payments = await expectReply<{ total: number; data: { id: string }[] }>(200, call('GET', '/v1/payments', who));
      expect(payments.total).toBe(1);
      expect(payments.data[0]!.id).toBe(story.paymentId);
    }
  });

  it('step 6: the payment shows pending → processing while the bank works on it', async () => {
    const payment = await expectReply<Payment>(200, call('GET', `/v1/payments/${story.paymentId}`, story.bob));
    // The sandbox's bank rails accept the transfer at once: the payment is made pending and is
    // processing by the time the request returns; it settles on the rail's calendar.
    expect(payment.status).toBe('processing');
    expect(payment.succeededAt).toBeNull();
    expect(payment.expectedSettlementAt).not.toBeNull();

    const history = await expectReply<History>(200, call('GET', `/v1/payments/${story.paymentId}/history`, story.bob));
    // `submitted` records the bank's reference while the payment is still pending.
    expect(history.events.map((event) => [event.type, event.fromStatus, event.toStatus])).toEqual([
      ['initiated', null, 'pending'],
      ['submitted', 'pending', 'pending'],
      ['processing', 'pending', 'processing'],
    ]);
  });

  it('step 7: the bank settles the transfer, and the payment has succeeded', async () => {
    // STANDARD_ACH takes 180 seconds in the sandbox: its clock is moved an hour ahead instead of waiting.
    expect(await advanceSandbox(t)).toBe(1);
    const payment = await expectReply<Payment>(200, call('GET', `/v1/payments/${story.paymentId}`, story.bob));
    expect(payment.status).toBe('succeeded');
    expect(payment.succeededAt).not.toBeNull();

    // The money is in the sandbox's clearing account, owed to Alice as the payee: her payable, which
    // her wallet shows as available to withdraw to her bank account.
    expect((await balancesOf(t, story.organizationId, '1100')).get('sandbox')).toBe(150_000);
    expect((await balancesOf(t, story.organizationId, '2200')).get(story.aliceAsOwnerId)).toBe(-150_000);
    const wallet = await expectReply<{ balances: { currency: string; available: number }[] }>(200, call('GET', '/v1/wallet', story.alice));
    expect(wallet.balances).toEqual([expect.objectContaining({ currency: 'USD', available: 150_000 })]);
    expect(await ledgerConsistent(t, story.organizationId)).toEqual({ unbalancedEntries: 0, wrongBalances: 0 });
  });

  it('step 8: the history shows every event, with its time and a snapshot, and replays to the payment', async () => {
    const history = await expectReply<History>(200, call('GET', `/v1/payments/${story.paymentId}/history`, story.alice));
    expect(history.paymentId).toBe(story.paymentId);
    expect(history.events.map((event) => event.type)).toEqual(['initiated', 'submitted', 'processing', 'succeeded']);
    expect(history.events.map((event) => event.toStatus)).toEqual(['pending', 'pending', 'processing', 'succeeded']);
    expect(history.events.map((event) => event.sequence)).toEqual([1, 2, 3, 4]);

    // Who: Bob made it; the bank (the sandbox) reported it settled.
    expect(history.events[0]!.actor).toEqual({ type: 'user', id: story.bob.userId });
    expect(history.events[3]!.actor).toEqual({ type: 'provider', id: 'sandbox' });

    // When, in order, and what the payment then was.
    const times = history.events.map((event) => Date.parse(event.occurredAt));
    expect(times.every((time) => Number.isFinite(time))).toBe(true);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const event of history.events) {
      expect(event.snapshot).toMatchObject({ id: story.paymentId, status: event.toStatus, amount: 150_000, currency: 'USD' });
    }

    // The events alone rebuild the payment as it is now.
    const payment = await expectReply<Payment>(200, call('GET', `/v1/payments/${story.paymentId}`, story.alice));
    const { updatedAt: _updatedAt, version: _version, expectedSettlementAt: _expected, ...fields } = payment;
    expect(history.replayed).toEqual(fields);
    expect(payment.version).toBe(history.events.length);
  });
});
