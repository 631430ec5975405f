import { sql } from 'kysely';
import { waitFor } from '../../../test/helpers/wait.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { type FakeDaraja, startFakeDaraja } from '../../../test/fakes/daraja-server.ts';
import { type FakeStripe, startFakeStripe } from '../../../test/fakes/stripe-server.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { createStay, day, expectStatus, heldBooking, type Host, http, newOrganization } from '../bookings/test-support.ts';
import type { PaymentView } from './history.ts';
import { paymentsContext } from './context.ts';
import { reconcileWaitingPayments } from './reconcile.ts';
import { moneyRelay, paymentsTestApp } from './test-support.ts';

/** The payments module through the real Stripe and M-Pesa adapters, against local servers speaking their protocols. */

let stripe: FakeStripe;
let daraja: FakeDaraja;
let t: TestApp;
let host: Host;
let relay: EventRelay;
const callbackToken = 'callback-token-0123456789';

beforeAll(async () => {
  stripe = await startFakeStripe();
  daraja = await startFakeDaraja();
  t = await paymentsTestApp({
    STRIPE_SECRET_KEY: stripe.secretKey,
    STRIPE_WEBHOOK_SECRETS: stripe.webhookSecret,
    STRIPE_API_URL: stripe.apiUrl,
    MPESA_API_URL: daraja.apiUrl,
    MPESA_CONSUMER_KEY: daraja.consumerKey,
    MPESA_CONSUMER_SECRET: daraja.consumerSecret,
    MPESA_SHORTCODE: daraja.shortcode,
    MPESA_PASSKEY: daraja.passkey,
    MPESA_CALLBACK_TOKEN: callbackToken,
    MPESA_B2C_SHORTCODE: daraja.b2c.shortcode,
    MPESA_B2C_INITIATOR_NAME: daraja.b2c.initiatorName,
    MPESA_B2C_SECURITY_CREDENTIAL: daraja.b2c.securityCredential,
  });
  host = await newOrganization(t, 'gateway');
  relay = await moneyRelay(t);
});

afterAll(async () => {
  await relay.stop();
  await t.close();
  await stripe.close();
  await daraja.close();
});

const api = () => http(t);
type Payment = PaymentView;
const paymentOf = async (id: string) => expectStatus<Payment>(await api().get(`/v1/payments/${id}`, host.admin), 200);

function deliver(provider: string, delivery: { headers: Record<string, string>; rawBody: Buffer }, query = '') {
  return t.app.inject({
    method: 'POST',
    url: `/v1/webhooks/payments/${provider}${query}`,
    headers: { 'content-type': 'application/json', ...delivery.headers },
    payload: delivery.rawBody,
  });
}

describe('Stripe', () => {
  it('pays a booking through a PaymentIntent: the client secret, then the signed webhook confirms it once', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const booking = await heldBooking(t, host.admin, stay, day(4), day(6));
    const payment = expectStatus<Payment>(await api().post('/v1/payments/intent', host.admin, { bookingId: booking.id }), 201);
    expect(payment).toMatchObject({ provider: 'stripe', status: 'requires_action' });
    expect(payment.clientAction).toMatchObject({ type: 'stripe_client_secret' });
    const intentId = payment.providerReference!;
    expect(stripe.intents.get(intentId)?.metadata).toMatchObject({ paymentId: payment.id });

    const intent = stripe.succeed(intentId);
    const delivery = stripe.signedDelivery(stripe.event('payment_intent.succeeded', intent));
    expect(expectStatus(await deliver('stripe', delivery), 200)).toEqual({ received: 1, applied: 1, duplicates: 0, unmatched: 0 });
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'succeeded', escrowStatus: 'held', clientAction: null });
    expect(expectStatus<{ status: string }>(await api().get(`/v1/bookings/${booking.id}`, host.admin), 200).status).toBe('confirmed');

    // Redelivered, and described again by another event: acknowledged, nothing more happens.
    expect(expectStatus(await deliver('stripe', delivery), 200)).toMatchObject({ duplicates: 1, applied: 0 });
    const other = stripe.signedDelivery(stripe.event('payment_intent.succeeded', intent));
    expect(expectStatus(await deliver('stripe', other), 200)).toMatchObject({ applied: 1 });
    const { rows } = await sql<{
      count: string;
    }>`SELECT count(*) FROM journal_entry WHERE source_id = ${payment.id} AND source_event = 'succeeded'`.execute(t.database.owner);
    expect(Number(rows[0]!.count)).toBe(1);
    // A late `processing` changes nothing.
    const late = stripe.signedDelivery(stripe.event('payment_intent.processing', { ...intent, status: 'processing' }));
    await deliver('stripe', late);
    expect((await paymentOf(payment.id)).status).toBe('succeeded');
  });

  it('keeps a payment open after a declined attempt, so another card can still pay it', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, stay, day(7), day(8));
    const payment = expectStatus<Payment>(await api().post('/v1/payments/intent', host.admin, { bookingId: booking.id }), 201);
    const intentId = payment.providerReference!;
    await deliver('stripe', stripe.signedDelivery(stripe.event('payment_intent.payment_failed', stripe.fail(intentId, 'card_declined'))));
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'requires_action', failureCode: 'card_declined' });
    await deliver('stripe', stripe.signedDelivery(stripe.event('payment_intent.succeeded', stripe.succeed(intentId))));
    expect(await paymentOf(payment.id)).toMatchObject({ status: 'succeeded', escrowStatus: 'held' });
  });

  it('cancels the intent of a booking cancelled before it was paid', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const booking = await heldBooking(t, host.admin, stay, day(9), day(10));
    const payment = expectStatus<Payment>(await api().post('/v1/payments/intent', host.admin, { bookingId: booking.id }), 201);
    expectStatus(await api().post(`/v1/bookings/${booking.id}/cancel`, host.admin, { reason: 'customer_request' }), 200);
    await waitFor(async () => (await paymentOf(payment.id)).status === 'cancelled');
    expect(stripe.intents.get(payment.providerReference!)?.status).toBe('canceled');
  });

  it('refuses a forged, tampered or stale delivery before reading it', async () => {
    const event = stripe.event('payment_intent.succeeded', {
      id: 'pi_forged',
      object: 'payment_intent',
      amount: 100,
      currency: 'eur',
      status: 'succeeded',
    });
    const forged = await deliver('stripe', stripe.signedDelivery(event, { secret: 'whsec_not_the_endpoint_secret' }));
    expect(forged.statusCode).toBe(400);
    expect(forged.json()).toMatchObject({ code: 'payments.webhook_rejected' });
    const genuine = stripe.signedDelivery(event);
    const tampered = await deliver('stripe', {
      headers: genuine.headers,
      rawBody: Buffer.from(genuine.rawBody.toString().replace('100', '900')),
    });
    expect(tampered.statusCode).toBe(400);
    const stale = await deliver('stripe', stripe.signedDelivery(event, { timestamp: new Date(Date.now() - 301_000) }));
    expect(stale.json()).toMatchObject({ code: 'payments.webhook_rejected' });
    const { rows } = await sql<{ count: string }>`SELECT count(*) FROM webhook_receipt WHERE event_id = ${event.id}`.execute(
      t.database.owner,
    );
    expect(Number(rows[0]!.count)).toBe(0);
  });

  it('charges a saved card at once, and refunds it through Stripe', async () => {
    const customer = expectStatus<{ id: string }>(
      await api().post('/v1/customers', host.admin, { firstName: 'Alice', lastName: 'Card' }),
      201,
    );
    const paid = expectStatus<Payment>(
      await api().post('/v1/payments', host.admin, {
        purpose: 'other',
        payerCustomerId: customer.id,
        amount: 12_500,
        currency: 'EUR',
        method: 'card',
        paymentMethodToken: 'pm_card_visa',
      }),
      201,
    );
    expect(paid).toMatchObject({ status: 'succeeded', provider: 'stripe' });
    const refund = expectStatus<{ id: string; status: string; providerReference: string }>(
      await api().post(`/v1/payments/${paid.id}/refunds`, host.admin, { amount: 2_500 }),
      201,
    );
    expect(['processing', 'succeeded']).toContain(refund.status);
    expect(stripe.refunds.get(refund.providerReference)?.amount).toBe(2_500);
  });
});

describe('M-Pesa', () => {
  it('takes mobile money by STK push and applies the callback only once the status query confirms it', async () => {
    const customer = expectStatus<{ id: string }>(
      await api().post('/v1/customers', host.admin, { firstName: 'Wanjiru', lastName: 'Kamau' }),
      201,
    );
    const body = { purpose: 'other', payerCustomerId: customer.id, currency: 'KES', method: 'mobile_money', payerPhone: '+254712345678' };
    const notWhole = await api().post('/v1/payments', host.admin, { ...body, amount: 150_050 });
    expect(notWhole.json()).toMatchObject({ code: 'payments.amount_not_whole' });

    const payment = expectStatus<Payment>(await api().post('/v1/payments', host.admin, { ...body, amount: 150_000 }), 201);
    expect(payment).toMatchObject({ status: 'processing', provider: 'mpesa' });
    expect(daraja.stkRequests.at(-1)).toMatchObject({ amount: 1500, phone: '254712345678' });
    const checkout = payment.providerReference!;

    // A forged success the query does not confirm changes nothing; a callback without the token is refused.
    const forged = daraja.forgedSuccessCallback(checkout);
    const asDelivery = (callback: object) => ({ headers: {}, rawBody: Buffer.from(JSON.stringify(callback)) });
    expect((await deliver('mpesa', asDelivery(forged))).statusCode).toBe(400);
    expectStatus(await deliver('mpesa', asDelivery(forged), `?token=${callbackToken}`), 200);
    expect((await paymentOf(payment.id)).status).toBe('processing');

    const callback = daraja.complete(checkout);
    expectStatus(await deliver('mpesa', asDelivery(callback), `?token=${callbackToken}`), 200);
    const paid = await paymentOf(payment.id);
    expect(paid).toMatchObject({ status: 'succeeded' });
    expect(paid.receiptNumber).toMatch(/^[A-Z0-9]{10}$/);
    expect(expectStatus(await deliver('mpesa', asDelivery(callback), `?token=${callbackToken}`), 200)).toMatchObject({ duplicates: 1 });
  });
});

describe('M-Pesa payouts', () => {
  it('pays an owner out to M-Pesa by B2C, settled by the result callback', async () => {
    const owner = expectStatus<{ id: string }>(await api().post('/v1/owners', host.admin, { name: 'Njeri Wambui' }), 201);
    // The owner is owed 3,000.00 KES (posted by hand, as an opening balance would be).
    expectStatus(
      await api().post('/v1/ledger/entries', host.admin, {
        description: 'Opening balance owed to the owner',
        postings: [
          { accountCode: '1010', currency: 'KES', amount: 300_000 },
          { accountCode: '2200', currency: 'KES', party: { type: 'owner', id: owner.id }, amount: -300_000 },
        ],
      }),
      201,
    );
    const payout = expectStatus<{ id: string; status: string; provider: string }>(
      await api().post('/v1/payouts', host.admin, { ownerId: owner.id, amount: 250_000, currency: 'KES', mpesaPhone: '+254711222333' }),
      201,
    );
    expect(payout).toMatchObject({ status: 'processing', provider: 'mpesa' });
    expect(daraja.b2cRequests.at(-1)).toMatchObject({ originatorConversationId: payout.id, amount: 2500, phone: '254711222333' });
    const result = daraja.completeB2c(payout.id);
    const delivery = { headers: {}, rawBody: Buffer.from(JSON.stringify(result)) };
    expectStatus(await deliver('mpesa', delivery, `?token=${callbackToken}`), 200);
    expect(expectStatus<{ status: string }>(await api().get(`/v1/payouts/${payout.id}`, host.admin), 200).status).toBe('succeeded');
    const wallet = expectStatus<{ balances: { currency: string; available: number; inTransit: number }[] }>(
      await api().get(`/v1/wallet?ownerId=${owner.id}`, host.admin),
      200,
    );
    expect(wallet.balances).toEqual([{ currency: 'KES', available: 50_000, pending: 0, inTransit: 0 }]);
  });
});

describe('reports that never came', () => {
  it('asks M-Pesa about a payment whose callback never arrived, and applies the answer once', async () => {
    const customer = expectStatus<{ id: string }>(
      await api().post('/v1/customers', host.admin, { firstName: 'Otieno', lastName: 'Lost' }),
      201,
    );
    const payment = expectStatus<Payment>(
      await api().post('/v1/payments', host.admin, {
        purpose: 'other',
        payerCustomerId: customer.id,
        amount: 200_000,
        currency: 'KES',
        method: 'mobile_money',
        payerPhone: '+254722000111',
      }),
      201,
    );
    daraja.complete(payment.providerReference!);
    const context = paymentsContext(t.config);
    expect(await reconcileWaitingPayments(t.database.db, context)).toEqual({ asked: 0, applied: 0 });
    const later = new Date(Date.now() + 10 * 60_000);
    expect(await reconcileWaitingPayments(t.database.db, context, { now: later })).toMatchObject({ applied: 1 });
    expect((await paymentOf(payment.id)).status).toBe('succeeded');
    expect(await reconcileWaitingPayments(t.database.db, context, { now: later })).toMatchObject({ asked: 0 });
  });
});

describe('idempotency under load', () => {
  it('makes exactly 100 provider charges for 1,000 concurrent requests over 100 keys', async () => {
    const customer = expectStatus<{ id: string }>(
      await api().post('/v1/customers', host.admin, { firstName: 'Many', lastName: 'Clicks' }),
      201,
    );
    const before = stripe.chargeCount;
    const requests = Array.from({ length: 1000 }, (_, index) => {
      const key = `load-${index % 100}`;
      const body = {
        purpose: 'other',
        payerCustomerId: customer.id,
        amount: 5_000,
        currency: 'EUR',
        method: 'card',
        paymentMethodToken: 'pm_card_visa',
      };
      // Half send the key in the header, half in the body, as seeds/003 allows.
      return index % 2 === 0
        ? api().post('/v1/payments', host.admin, { ...body, idempotencyKey: key })
        : t.app.inject({
            method: 'POST',
            url: '/v1/payments',
            headers: { authorization: `Bearer ${host.admin.accessToken}`, 'idempotency-key': key },
            payload: body,
          });
    });
    const replies = await Promise.all(requests);
    // Each key makes its payment once; the rest are replays (200, or the stored 201 marked replayed) or
    // were told the first request was still running (409).
    const made = replies.filter((reply) => reply.statusCode === 201 && reply.headers['idempotent-replayed'] === undefined);
    expect(made).toHaveLength(100);
    expect(replies.every((reply) => [200, 201, 409].includes(reply.statusCode))).toBe(true);
    const ids = new Set(replies.filter((reply) => reply.statusCode < 300).map((reply) => reply.json<{ id: string }>().id));
    expect(ids.size).toBe(100);
    expect(stripe.chargeCount - before).toBe(100);
    const { rows } = await sql<{ count: string }>`SELECT count(*) FROM payment WHERE idempotency_key LIKE 'load-%'`.execute(
      t.database.owner,
    );
    expect(Number(rows[0]!.count)).toBe(100);
  });
});
