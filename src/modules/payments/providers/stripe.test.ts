import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeStripe, type FakeStripe, type FakeStripeEvent } from '../../../../test/fakes/stripe-server.ts';
import { ProviderUnavailable, WebhookRejected, type ChargeRequest, type PaymentProvider, type WebhookDelivery } from './port.ts';
import { createStripeProvider } from './stripe.ts';

let fake: FakeStripe;
let stripe: PaymentProvider;

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = createStripeProvider({ secretKey: fake.secretKey, webhookSecrets: [fake.webhookSecret], apiUrl: fake.apiUrl });
});

afterAll(async () => {
  await fake.close();
});

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    paymentId: randomUUID(),
    orgId: randomUUID(),
    amount: 45_000,
    currency: 'USD',
    method: 'card',
    description: 'Stay at Harbour View, 3 nights',
    reference: 'BK-7F3K2Q',
    payer: { name: 'Ada Guest', email: 'ada@example.com' },
    metadata: { bookingId: 'b-1' },
    ...overrides,
  };
}

function delivery(signed: { headers: Record<string, string>; rawBody: Buffer }, now = new Date()): WebhookDelivery {
  return { headers: signed.headers, rawBody: signed.rawBody, searchParams: new URLSearchParams(), now };
}

function rejection(action: () => unknown): WebhookRejected {
  try {
    action();
  } catch (error) {
    if (error instanceof WebhookRejected) return error;
    throw error;
  }
  throw new Error('The delivery was accepted');
}

async function succeededPayment(amount = 10_000): Promise<string> {
  const outcome = await stripe.charge(chargeRequest({ amount, paymentMethodToken: 'pm_card_visa' }));
  expect(outcome.status).toBe('succeeded');
  return outcome.providerReference;
}

describe('charge', () => {
  it('confirms a saved card at once and creates the PaymentIntent with our payment id as idempotency key', async () => {
    const request = chargeRequest({ paymentMethodToken: 'pm_card_visa' });
    const outcome = await stripe.charge(request);

    expect(outcome).toEqual({
      providerReference: expect.stringMatching(/^pi_/) as unknown,
      status: 'succeeded',
      clientAction: null,
      failure: null,
    });
    const intent = fake.intents.get(outcome.providerReference)!;
    expect(intent).toMatchObject({
      amount: 45_000,
      currency: 'usd',
      description: 'Stay at Harbour View, 3 nights',
      status: 'succeeded',
      amount_received: 45_000,
      payment_method_types: ['card'],
      automatic_payment_methods: null,
      metadata: { bookingId: 'b-1', paymentId: request.paymentId, orgId: request.orgId, reference: 'BK-7F3K2Q' },
    });
    const sent = fake.requests.find((entry) => entry.method === 'POST' && entry.idempotencyKey === request.paymentId)!;
    expect(sent.params).toMatchObject({ allowed_payment_method_types: ['card'], payment_method: 'pm_card_visa', confirm: 'true' });
    expect(sent.params).not.toHaveProperty('payment_method_types');
  });

  it('reads a declined saved card as a failed outcome with the decline, and cancels the intent so it cannot succeed later', async () => {
    const outcome = await stripe.charge(chargeRequest({ paymentMethodToken: 'pm_card_chargeDeclined' }));

    expect(outcome).toEqual({
      providerReference: expect.stringMatching(/^pi_/) as unknown,
      status: 'failed',
      clientAction: null,
      failure: { code: 'card_declined', reason: 'Your card was declined.' },
    });
    expect(fake.intents.get(outcome.providerReference)).toMatchObject({
      status: 'canceled',
      last_payment_error: { code: 'card_declined' },
    });
    expect(fake.requests.at(-2)).toMatchObject({ status: 402 });
    expect(fake.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: `/v1/payment_intents/${outcome.providerReference}/cancel`,
      status: 200,
    });
  });

  it("names the issuer's reason when it gave one", async () => {
    const outcome = await stripe.charge(chargeRequest({ paymentMethodToken: 'pm_card_chargeDeclinedInsufficientFunds' }));

    expect(outcome.status).toBe('failed');
    expect(outcome.failure).toEqual({ code: 'insufficient_funds', reason: 'Your card has insufficient funds.' });
  });

  it('hands the client secret over when the card asks for authentication', async () => {
    const outcome = await stripe.charge(chargeRequest({ paymentMethodToken: 'pm_card_authenticationRequired' }));
    const intent = fake.intents.get(outcome.providerReference)!;

    expect(intent.status).toBe('requires_action');
    expect(outcome).toEqual({
      providerReference: intent.id,
      status: 'requires_action',
      clientAction: { type: 'stripe_client_secret', clientSecret: intent.client_secret, paymentIntentId: intent.id },
      failure: null,
    });

    fake.succeed(intent.id);
    expect(await stripe.retrieve!(intent.id)).toMatchObject({ status: 'succeeded', amount: 45_000, currency: 'USD' });
  });

  it('starts an intent flow without a payment method: the client confirms with the secret', async () => {
    const outcome = await stripe.charge(chargeRequest({ amount: 1_250, currency: 'eur' }));
    const intent = fake.intents.get(outcome.providerReference)!;

    expect(intent).toMatchObject({ status: 'requires_payment_method', payment_method: null, amount: 1_250, currency: 'eur' });
    expect(outcome.status).toBe('requires_action');
    expect(outcome.clientAction).toEqual({ type: 'stripe_client_secret', clientSecret: intent.client_secret, paymentIntentId: intent.id });
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_`));
  });

  it('makes one PaymentIntent for the same payment id asked twice', async () => {
    const before = fake.chargeCount;
    const request = chargeRequest({ paymentMethodToken: 'pm_card_visa' });

    const first = await stripe.charge(request);
    const second = await stripe.charge(request);

    expect(second).toEqual(first);
    expect(fake.chargeCount - before).toBe(1);
    expect(fake.requests.filter((entry) => entry.idempotencyKey === request.paymentId).map((entry) => entry.replayed)).toEqual([
      false,
      true,
    ]);
  });

  it('replays a decline for the same payment id rather than trying the card again', async () => {
    const before = fake.chargeCount;
    const request = chargeRequest({ paymentMethodToken: 'pm_card_chargeDeclined' });

    const first = await stripe.charge(request);
    const second = await stripe.charge(request);

    expect(second).toEqual(first);
    expect(second.status).toBe('failed');
    expect(fake.chargeCount - before).toBe(1);
  });

  it('makes one PaymentIntent when the same payment is sent twice at once', async () => {
    const before = fake.chargeCount;
    const request = chargeRequest({ paymentMethodToken: 'pm_card_visa' });
    fake.latencyMs = 300;
    try {
      const [first, second] = await Promise.all([stripe.charge(request), stripe.charge(request)]);
      expect(second).toEqual(first);
    } finally {
      fake.latencyMs = 0;
    }

    expect(fake.chargeCount - before).toBe(1);
    // The duplicate met 409 idempotency_key_in_use, and the client's retry got the first answer replayed.
    expect(
      fake.requests.filter((entry) => entry.idempotencyKey === request.paymentId).map(({ status, replayed }) => ({ status, replayed })),
    ).toEqual([
      { status: 409, replayed: false },
      { status: 200, replayed: false },
      { status: 200, replayed: true },
    ]);
  });

  it('refuses to reuse a payment id with other parameters', async () => {
    const request = chargeRequest({ paymentMethodToken: 'pm_card_visa' });
    await stripe.charge(request);

    const error = await stripe.charge({ ...request, amount: request.amount + 1 }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ProviderUnavailable);
    expect((error as ProviderUnavailable).message).toMatch(/idempotency_error/);
    expect(fake.requests.at(-1)).toMatchObject({ status: 400, replayed: false });
  });

  it('refuses a method other than card', async () => {
    await expect(stripe.charge(chargeRequest({ method: 'mobile_money' }))).rejects.toThrow(/card/);
  });
});

describe('refund', () => {
  it('refunds part, then the rest, and refuses more than was paid', async () => {
    const payment = await succeededPayment(10_000);

    const partial = await stripe.refund({
      refundId: randomUUID(),
      paymentReference: payment,
      amount: 4_000,
      currency: 'USD',
      reason: 'requested_by_customer',
    });
    expect(partial).toEqual({ providerReference: expect.stringMatching(/^re_/) as unknown, status: 'succeeded', failure: null });
    expect(fake.refunds.get(partial.providerReference)).toMatchObject({
      amount: 4_000,
      payment_intent: payment,
      reason: 'requested_by_customer',
    });

    const rest = await stripe.refund({
      refundId: randomUUID(),
      paymentReference: payment,
      amount: 6_000,
      currency: 'USD',
      reason: 'duplicate',
    });
    expect(rest.status).toBe('succeeded');
    expect(fake.refunds.get(rest.providerReference)).toMatchObject({ amount: 6_000, reason: 'duplicate' });

    const over = stripe.refund({ refundId: randomUUID(), paymentReference: payment, amount: 1, currency: 'USD', reason: 'goodwill' });
    await expect(over).rejects.toBeInstanceOf(ProviderUnavailable);
    await expect(over).rejects.toThrow(/charge_already_refunded/);
  });

  it('refuses a refund larger than the payment', async () => {
    const payment = await succeededPayment(3_000);

    const over = stripe.refund({ refundId: randomUUID(), paymentReference: payment, amount: 3_001, currency: 'USD', reason: 'goodwill' });

    await expect(over).rejects.toBeInstanceOf(ProviderUnavailable);
    await expect(over).rejects.toThrow(/amount_too_large/);
    expect([...fake.refunds.values()].filter((refund) => refund.payment_intent === payment)).toEqual([]);
  });

  it('keeps our reason in the metadata, sends Stripe only its own reasons, and refunds once per refund id', async () => {
    const payment = await succeededPayment(5_000);
    const refundId = randomUUID();
    const request = { refundId, paymentReference: payment, amount: 1_000, currency: 'USD', reason: 'Owner cancelled the stay' };

    const first = await stripe.refund(request);
    const second = await stripe.refund(request);

    expect(second).toEqual(first);
    const refunds = [...fake.refunds.values()].filter((refund) => refund.payment_intent === payment);
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ reason: null, metadata: { refundId, reason: 'Owner cancelled the stay' } });
  });
});

describe('retrieve', () => {
  it('reads a PaymentIntent now, failure included: a failed attempt leaves it awaiting another card', async () => {
    const outcome = await stripe.charge(chargeRequest({ amount: 7_700 }));
    fake.fail(outcome.providerReference, 'insufficient_funds');

    expect(await stripe.retrieve!(outcome.providerReference)).toEqual({
      eventId: `retrieve:${outcome.providerReference}:requires_action`,
      eventType: 'payment_intent.retrieve',
      occurredAt: expect.any(Date) as unknown,
      object: 'payment',
      providerReference: outcome.providerReference,
      status: 'requires_action',
      amount: 7_700,
      currency: 'USD',
      failure: { code: 'insufficient_funds', reason: 'Your card has insufficient funds.' },
    });
  });

  it('answers null for a PaymentIntent Stripe does not know', async () => {
    expect(await stripe.retrieve!('pi_doesnotexist')).toBeNull();
  });
});

describe('verifyWebhook', () => {
  function intentEvent(type: string, change: (id: string) => object = (id) => fake.intents.get(id)!): Promise<FakeStripeEvent> {
    return stripe.charge(chargeRequest({ amount: 2_500 })).then((outcome) => fake.event(type, change(outcome.providerReference)));
  }

  it('accepts a delivery signed with the endpoint secret and reads the payment', async () => {
    const event = await intentEvent('payment_intent.succeeded', (id) => fake.succeed(id));
    const intentId = (event.data.object as { id: string }).id;

    expect(stripe.verifyWebhook(delivery(fake.signedDelivery(event)))).toEqual([
      {
        eventId: event.id,
        eventType: 'payment_intent.succeeded',
        occurredAt: new Date(event.created * 1000),
        object: 'payment',
        providerReference: intentId,
        status: 'succeeded',
        amount: 2_500,
        currency: 'USD',
        failure: null,
      },
    ]);
  });

  it('reads a failed attempt with its decline as awaiting another card, and each PaymentIntent event as its status', async () => {
    const failed = await intentEvent('payment_intent.payment_failed', (id) => fake.fail(id, 'card_declined'));
    expect(stripe.verifyWebhook(delivery(fake.signedDelivery(failed)))).toMatchObject([
      { status: 'requires_action', failure: { code: 'card_declined', reason: 'Your card was declined.' } },
    ]);

    const statuses: [string, string][] = [
      ['payment_intent.processing', 'processing'],
      ['payment_intent.requires_action', 'requires_action'],
      ['payment_intent.canceled', 'cancelled'],
    ];
    for (const [type, status] of statuses) {
      const event = await intentEvent(type);
      expect(stripe.verifyWebhook(delivery(fake.signedDelivery(event)))).toMatchObject([{ eventType: type, object: 'payment', status }]);
    }
  });

  it('refuses a body changed after signing', async () => {
    const event = await intentEvent('payment_intent.succeeded', (id) => fake.succeed(id));
    const signed = fake.signedDelivery(event);
    const tampered = Buffer.from(signed.rawBody.toString('utf8').replace('"amount": 2500', '"amount": 1'), 'utf8');
    expect(tampered.equals(signed.rawBody)).toBe(false);

    expect(rejection(() => stripe.verifyWebhook(delivery({ ...signed, rawBody: tampered }))).code).toBe('signature_invalid');
  });

  it('refuses a delivery signed with another secret', async () => {
    const event = await intentEvent('payment_intent.succeeded', (id) => fake.succeed(id));

    const error = rejection(() => stripe.verifyWebhook(delivery(fake.signedDelivery(event, { secret: 'whsec_someone_else' }))));

    expect(error.code).toBe('signature_invalid');
  });

  it('accepts either secret while one rotates, with two v1 signatures in the header', async () => {
    const event = await intentEvent('payment_intent.succeeded', (id) => fake.succeed(id));
    const signed = fake.signedDelivery(event, { secret: 'whsec_new', extraSecrets: ['whsec_old'] });
    expect(signed.headers['stripe-signature']?.match(/v1=/g)).toHaveLength(2);

    for (const secrets of [['whsec_old'], ['whsec_new'], ['whsec_old', 'whsec_new'], ['whsec_unrelated', 'whsec_old']]) {
      const provider = createStripeProvider({ secretKey: fake.secretKey, webhookSecrets: secrets, apiUrl: fake.apiUrl });
      expect(provider.verifyWebhook(delivery(signed))).toHaveLength(1);
    }
    const stranger = createStripeProvider({ secretKey: fake.secretKey, webhookSecrets: ['whsec_unrelated'], apiUrl: fake.apiUrl });
    expect(rejection(() => stranger.verifyWebhook(delivery(signed))).code).toBe('signature_invalid');
  });

  it('refuses a delivery signed more than 300 seconds ago', async () => {
    const event = await intentEvent('payment_intent.succeeded', (id) => fake.succeed(id));
    const now = new Date();

    const stale = fake.signedDelivery(event, { timestamp: new Date(now.getTime() - 301_000) });
    expect(rejection(() => stripe.verifyWebhook(delivery(stale, now))).code).toBe('timestamp_out_of_tolerance');

    const late = fake.signedDelivery(event, { timestamp: new Date(now.getTime() - 299_000) });
    expect(stripe.verifyWebhook(delivery(late, now))).toHaveLength(1);
  });

  it('refuses a delivery without a signature header', async () => {
    const event = await intentEvent('payment_intent.succeeded', (id) => fake.succeed(id));
    const { rawBody } = fake.signedDelivery(event);

    expect(rejection(() => stripe.verifyWebhook(delivery({ headers: {}, rawBody }))).code).toBe('signature_missing');
  });

  it('reads nothing from event types it does not follow, charge.refunded included', async () => {
    const created = await intentEvent('payment_intent.created');
    const customer = fake.event('customer.created', { id: 'cus_123', object: 'customer' });
    const refunded = fake.event('charge.refunded', { id: 'ch_123', object: 'charge', amount: 100, amount_refunded: 100, currency: 'usd' });

    for (const event of [created, customer, refunded]) {
      expect(stripe.verifyWebhook(delivery(fake.signedDelivery(event)))).toEqual([]);
    }
  });

  it('reads refund events as refund notifications', async () => {
    const payment = await succeededPayment(8_000);
    const outcome = await stripe.refund({
      refundId: randomUUID(),
      paymentReference: payment,
      amount: 8_000,
      currency: 'USD',
      reason: 'duplicate',
    });
    const refund = fake.refunds.get(outcome.providerReference)!;

    const updated = fake.event('refund.updated', refund);
    expect(stripe.verifyWebhook(delivery(fake.signedDelivery(updated)))).toEqual([
      {
        eventId: updated.id,
        eventType: 'refund.updated',
        occurredAt: new Date(updated.created * 1000),
        object: 'refund',
        providerReference: refund.id,
        status: 'succeeded',
        amount: 8_000,
        currency: 'USD',
        failure: null,
      },
    ]);

    const created = fake.event('refund.created', { ...refund, status: 'pending' });
    expect(stripe.verifyWebhook(delivery(fake.signedDelivery(created)))).toMatchObject([{ object: 'refund', status: 'processing' }]);

    const failed = fake.event('refund.failed', { ...refund, status: 'failed', failure_reason: 'expired_or_canceled_card' });
    expect(stripe.verifyWebhook(delivery(fake.signedDelivery(failed)))).toMatchObject([
      { object: 'refund', providerReference: refund.id, status: 'failed', failure: { code: 'expired_or_canceled_card' } },
    ]);

    const legacy = fake.event('charge.refund.updated', { ...refund, status: 'canceled' });
    expect(stripe.verifyWebhook(delivery(fake.signedDelivery(legacy)))).toMatchObject([{ object: 'refund', status: 'cancelled' }]);
  });

  it('refuses a correctly signed body that is not a Stripe event', () => {
    const truncated = fake.signedDelivery(Buffer.from('{"id": "evt_1", ', 'utf8'));
    expect(rejection(() => stripe.verifyWebhook(delivery(truncated))).code).toBe('payload_invalid');

    const notAnEvent = fake.signedDelivery(Buffer.from(JSON.stringify({ id: 'evt_1', type: 'payment_intent.succeeded' }), 'utf8'));
    expect(rejection(() => stripe.verifyWebhook(delivery(notAnEvent))).code).toBe('payload_invalid');

    const noAmount = fake.event('payment_intent.succeeded', { id: 'pi_1', object: 'payment_intent', status: 'succeeded', currency: 'usd' });
    expect(rejection(() => stripe.verifyWebhook(delivery(fake.signedDelivery(noAmount)))).code).toBe('payload_invalid');
  });

  it('checks the signature before reading the body', () => {
    const garbage = fake.signedDelivery(Buffer.from('not json', 'utf8'), { secret: 'whsec_someone_else' });

    expect(rejection(() => stripe.verifyWebhook(delivery(garbage))).code).toBe('signature_invalid');
  });
});

describe('when Stripe cannot answer', () => {
  it('reports ProviderUnavailable when nothing listens on the port', async () => {
    const down = await startFakeStripe();
    await down.close();
    const offline = createStripeProvider({ secretKey: down.secretKey, webhookSecrets: [down.webhookSecret], apiUrl: down.apiUrl });

    await expect(offline.charge(chargeRequest({ paymentMethodToken: 'pm_card_visa' }))).rejects.toBeInstanceOf(ProviderUnavailable);
    await expect(
      offline.refund({ refundId: randomUUID(), paymentReference: 'pi_x', amount: 1, currency: 'USD', reason: 'x' }),
    ).rejects.toBeInstanceOf(ProviderUnavailable);
    await expect(offline.retrieve!('pi_x')).rejects.toBeInstanceOf(ProviderUnavailable);
  });

  it('reports ProviderUnavailable when Stripe keeps answering 5xx, and retries safely when it recovers', async () => {
    fake.failNext(3, 500);
    await expect(stripe.charge(chargeRequest({ paymentMethodToken: 'pm_card_visa' }))).rejects.toBeInstanceOf(ProviderUnavailable);

    const before = fake.chargeCount;
    const request = chargeRequest({ paymentMethodToken: 'pm_card_visa' });
    fake.failNext(1, 503);
    expect((await stripe.charge(request)).status).toBe('succeeded');
    expect(fake.chargeCount - before).toBe(1);
    expect(fake.requests.filter((entry) => entry.idempotencyKey === request.paymentId).map((entry) => entry.status)).toEqual([503, 200]);
  });

  it('reports ProviderUnavailable when the secret key is refused', async () => {
    const wrongKey = createStripeProvider({ secretKey: 'sk_test_wrong', webhookSecrets: [fake.webhookSecret], apiUrl: fake.apiUrl });

    const error = await wrongKey.charge(chargeRequest()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ProviderUnavailable);
    expect((error as ProviderUnavailable).message).toMatch(/401/);
  });
});

describe('the local Stripe', () => {
  async function call(
    method: 'GET' | 'POST',
    path: string,
    options: { form?: string; key?: string; auth?: string | null } = {},
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> & { error?: Record<string, unknown> } }> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (options.auth !== null) headers.authorization = options.auth ?? `Bearer ${fake.secretKey}`;
    if (options.key !== undefined) headers['idempotency-key'] = options.key;
    const response = await fetch(`${fake.apiUrl}${path}`, { method, headers, ...(method === 'POST' ? { body: options.form ?? '' } : {}) });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  }

  const form = 'amount=2000&currency=usd&allowed_payment_method_types[0]=card&metadata[paymentId]=p-1&metadata[orgId]=o-1';

  it('refuses a request without the secret key, in Stripe’s error shape', async () => {
    const missing = await call('POST', '/v1/payment_intents', { form, auth: null });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/API key/) as unknown });

    const wrong = await call('GET', '/v1/payment_intents/pi_1', { auth: 'Bearer sk_test_nottheone' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 'api_key_invalid' });
  });

  it('reads bracketed form parameters and replays an idempotent request', async () => {
    const key = randomUUID();
    const first = await call('POST', '/v1/payment_intents', { form, key });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ object: 'payment_intent', amount: 2000, metadata: { paymentId: 'p-1', orgId: 'o-1' } });
    expect(first.headers.get('idempotent-replayed')).toBeNull();

    const again = await call('POST', '/v1/payment_intents', { form, key });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);

    const other = await call('POST', '/v1/payment_intents', { form: form.replace('amount=2000', 'amount=2001'), key });
    expect(other.status).toBe(400);
    expect(other.body.error).toMatchObject({ type: 'idempotency_error' });
  });

  it('answers 409 idempotency_key_in_use to a duplicate sent while the first is running', async () => {
    const key = randomUUID();
    fake.latencyMs = 200;
    try {
      const [first, second] = await Promise.all([
        call('POST', '/v1/payment_intents', { form, key }),
        new Promise((resolve) => setTimeout(resolve, 50)).then(() => call('POST', '/v1/payment_intents', { form, key })),
      ]);
      expect(first.status).toBe(200);
      expect(second.status).toBe(409);
      expect(second.body.error).toMatchObject({ code: 'idempotency_key_in_use' });
    } finally {
      fake.latencyMs = 0;
    }
  });

  it('stores nothing for a request refused before it ran, and refuses parameters this API version dropped', async () => {
    const key = randomUUID();
    const unknown = await call('POST', '/v1/payment_intents', { form: `${form}&colour=blue`, key });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: 'parameter_unknown', param: 'colour' });
    expect((await call('POST', '/v1/payment_intents', { form, key })).status).toBe(200);

    const dropped = await call('POST', '/v1/payment_intents', {
      form: 'amount=2000&currency=usd&payment_method_types[0]=card',
      key: randomUUID(),
    });
    expect(dropped.body.error).toMatchObject({ code: 'payment_method_types_no_longer_supported' });
  });

  it('confirms, cancels and retrieves intents and refunds', async () => {
    const created = await call('POST', '/v1/payment_intents', { form, key: randomUUID() });
    const id = created.body.id as string;
    expect(created.body.status).toBe('requires_payment_method');

    const confirmed = await call('POST', `/v1/payment_intents/${id}/confirm`, { form: 'payment_method=pm_card_visa', key: randomUUID() });
    expect(confirmed.body).toMatchObject({ status: 'succeeded', amount_received: 2000 });
    const cancelled = await call('POST', `/v1/payment_intents/${id}/cancel`, { key: randomUUID() });
    expect(cancelled.status).toBe(400);
    expect(cancelled.body.error).toMatchObject({ code: 'payment_intent_unexpected_state' });

    const refund = await call('POST', '/v1/refunds', { form: `payment_intent=${id}&amount=500`, key: randomUUID() });
    expect(refund.body).toMatchObject({ object: 'refund', amount: 500, status: 'succeeded', payment_intent: id });
    expect((await call('GET', `/v1/refunds/${refund.body.id as string}`)).body).toEqual(refund.body);

    const other = await call('POST', '/v1/payment_intents', { form, key: randomUUID() });
    const otherCancelled = await call('POST', `/v1/payment_intents/${other.body.id as string}/cancel`, {
      form: 'cancellation_reason=abandoned',
      key: randomUUID(),
    });
    expect(otherCancelled.body).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect((await call('GET', '/v1/payment_intents/pi_missing')).body.error).toMatchObject({ code: 'resource_missing' });
  });
});
