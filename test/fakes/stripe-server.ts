import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A local Stripe on loopback speaking the subset of API v1 that card payments use: PaymentIntents
 * (create, retrieve, confirm, cancel) and Refunds (create, retrieve). Bodies arrive form-encoded
 * with Stripe's bracket notation (`metadata[key]=…`, `payment_method_types[0]=card`), the secret key
 * is checked on every request, and `Idempotency-Key` behaves as Stripe documents it: the first
 * response of a request that began executing is stored and replayed (`Idempotent-Replayed: true`),
 * the same key with other parameters is an `idempotency_error`, and a duplicate arriving while the
 * first is still running gets `409 idempotency_key_in_use`. Stripe's test payment methods drive the
 * outcome of a confirmation; webhook events are built and signed as Stripe signs them.
 */
export interface FakeStripe {
  /** `http://127.0.0.1:<port>`, the STRIPE_API_URL to give the adapter. */
  apiUrl: string;
  secretKey: string;
  /** The endpoint secret `signedDelivery` signs with unless told otherwise. */
  webhookSecret: string;
  intents: Map<string, FakePaymentIntent>;
  refunds: Map<string, FakeRefund>;
  /** PaymentIntents actually created: a replayed idempotent request does not count. */
  readonly chargeCount: number;
  requests: FakeStripeRequest[];
  /** How long every POST takes once accepted, so that a concurrent duplicate can be observed. */
  latencyMs: number;
  /** The next `count` requests answer `status` (an outage before the API starts executing: nothing is stored). */
  failNext(count: number, status?: number): void;
  /** A Stripe Event wrapping `object`, as Stripe would deliver it. */
  event(type: string, object: object): FakeStripeEvent;
  /** The headers and exact bytes of a delivery of `event` (or of any bytes given), signed as Stripe signs it. */
  signedDelivery(
    event: FakeStripeEvent | Buffer,
    options?: { secret?: string; timestamp?: Date; extraSecrets?: string[] },
  ): { headers: Record<string, string>; rawBody: Buffer };
  /** Moves an intent to `succeeded`, as if the customer completed the authentication. */
  succeed(paymentIntentId: string): FakePaymentIntent;
  /** Moves an intent back to `requires_payment_method` with `last_payment_error`, as a failed attempt does. */
  fail(paymentIntentId: string, code?: string): FakePaymentIntent;
  close(): Promise<void>;
}

export interface FakeStripeRequest {
  method: string;
  path: string;
  params: FormObject;
  idempotencyKey: string | undefined;
  status: number;
  replayed: boolean;
}

export interface FakePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'automatic';
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  description: string | null;
  last_payment_error: FakeCardError | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  next_action: { type: 'use_stripe_sdk'; use_stripe_sdk: { type: string } } | null;
  payment_method: string | null;
  payment_method_types: string[];
  allowed_payment_method_types: string[] | null;
  automatic_payment_methods: { enabled: boolean } | null;
  status: 'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'succeeded' | 'canceled';
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  balance_transaction: string | null;
  charge: string;
  created: number;
  currency: string;
  failure_reason?: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: 'duplicate' | 'fraudulent' | 'requested_by_customer' | null;
  status: 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';
}

export interface FakeStripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: object };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: string;
}

interface FakeCardError {
  type: 'card_error';
  code: string;
  decline_code?: string;
  message: string;
  charge?: string;
  doc_url: string;
  payment_method?: { id: string; object: 'payment_method'; type: 'card'; card: { brand: string; last4: string } };
}

interface FakeCharge {
  id: string;
  amount: number;
  amountRefunded: number;
  paymentIntent: string;
  succeeded: boolean;
}

/** A request's parameters as Stripe reads its form encoding. */
export type FormValue = string | FormObject | FormValue[];
export interface FormObject {
  [key: string]: FormValue;
}

export interface FakeStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
}

const apiVersion = '2026-10-28.endive';
/** From this API version on, `payment_method_types` is no longer writable: `allowed_payment_method_types` replaces it. */
const endive = '2026-09-30';

/** Stripe's test payment methods: what confirming each one does. */
const testPaymentMethods: Record<string, { brand: string; last4: string; outcome: 'succeeded' | 'requires_action' | { decline: string } }> =
  {
    pm_card_visa: { brand: 'visa', last4: '4242', outcome: 'succeeded' },
    pm_card_mastercard: { brand: 'mastercard', last4: '4444', outcome: 'succeeded' },
    pm_card_chargeDeclined: { brand: 'visa', last4: '0002', outcome: { decline: 'card_declined' } },
    pm_card_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', outcome: { decline: 'insufficient_funds' } },
    pm_card_chargeDeclinedExpiredCard: { brand: 'visa', last4: '0069', outcome: { decline: 'expired_card' } },
    pm_card_authenticationRequired: { brand: 'visa', last4: '3184', outcome: 'requires_action' },
  };

/** A decline as `last_payment_error` carries it, by the name `fail()` takes. */
const declines: Record<string, { code: string; decline_code?: string; message: string }> = {
  card_declined: { code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' },
  insufficient_funds: { code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  lost_card: { code: 'card_declined', decline_code: 'lost_card', message: 'Your card was declined.' },
  expired_card: { code: 'expired_card', decline_code: 'expired_card', message: 'Your card has expired.' },
  incorrect_cvc: { code: 'incorrect_cvc', message: "Your card's security code is incorrect." },
  authentication_required: {
    code: 'authentication_required',
    decline_code: 'authentication_required',
    message: 'Your card was declined. This transaction requires authentication.',
  },
};

class StripeApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    /** Whether the endpoint had begun executing: only then is the response stored under the idempotency key. */
    readonly executed = false,
  ) {
    super(typeof body.message === 'string' ? body.message : 'Stripe error');
  }
}

const invalidRequest = (message: string, extra: Record<string, unknown> = {}, executed = false) =>
  new StripeApiError(400, { type: 'invalid_request_error', message, ...extra }, executed);

interface Reply {
  status: number;
  body: unknown;
}

interface StoredIdempotentRequest {
  fingerprint: string;
  requestId: string;
  reply?: Reply;
}

export async function startFakeStripe(options: FakeStripeOptions = {}): Promise<FakeStripe> {
  const secretKey = options.secretKey ?? `sk_test_${randomId(24)}`;
  const webhookSecret = options.webhookSecret ?? `whsec_${randomId(32)}`;
  const intents = new Map<string, FakePaymentIntent>();
  const refunds = new Map<string, FakeRefund>();
  const charges = new Map<string, FakeCharge>();
  const idempotency = new Map<string, StoredIdempotentRequest>();
  const requests: FakeStripeRequest[] = [];
  let chargeCount = 0;
  let faults: { remaining: number; status: number } = { remaining: 0, status: 500 };

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const [path = '/', rawQuery = ''] = (request.url ?? '/').split('?', 2);
    const requestId = `req_${randomId(14)}`;
    const idempotencyKey = headerValue(request, 'idempotency-key');
    const version = headerValue(request, 'stripe-version') ?? apiVersion;
    const log = (params: FormObject, reply: Reply, replayed = false) =>
      requests.push({ method, path, params, idempotencyKey, status: reply.status, replayed });
    let params: FormObject = {};
    try {
      const body = (await readBody(request)).toString('utf8');
      authenticate(headerValue(request, 'authorization'));
      params = decodeForm(method === 'GET' || method === 'DELETE' ? rawQuery : body);
      if (faults.remaining > 0) {
        faults.remaining -= 1;
        throw new StripeApiError(faults.status, { type: 'api_error', message: 'An unknown error occurred' });
      }
      if (method !== 'POST' || idempotencyKey === undefined) {
        const reply = await execute(method, path, params, version);
        log(params, reply);
        send(response, reply, { requestId, idempotencyKey, version });
        return;
      }
      if (idempotencyKey.length > 255) {
        throw invalidRequest('Idempotency keys can be at most 255 characters long.', { param: 'idempotency_key' });
      }
      const fingerprint = `${method} ${path} ${canonical(params)}`;
      const stored = idempotency.get(idempotencyKey);
      if (stored) {
        if (stored.fingerprint !== fingerprint) {
          throw new StripeApiError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          });
        }
        if (!stored.reply) {
          throw new StripeApiError(409, {
            type: 'invalid_request_error',
            code: 'idempotency_key_in_use',
            message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${idempotencyKey}. Please try again later.`,
          });
        }
        log(params, stored.reply, true);
        send(response, stored.reply, {
          requestId,
          idempotencyKey,
          version,
          extra: { 'idempotent-replayed': 'true', 'original-request': stored.requestId },
        });
        return;
      }
      const entry: StoredIdempotentRequest = { fingerprint, requestId };
      idempotency.set(idempotencyKey, entry);
      let reply: Reply;
      try {
        if (state.latencyMs > 0) await sleep(state.latencyMs);
        reply = await execute(method, path, params, version);
      } catch (error) {
        if (!(error instanceof StripeApiError) || !error.executed) {
          idempotency.delete(idempotencyKey);
          throw error;
        }
        reply = { status: error.status, body: { error: error.body } };
      }
      entry.reply = reply;
      log(params, reply);
      send(response, reply, { requestId, idempotencyKey, version });
    } catch (error) {
      const apiError =
        error instanceof StripeApiError
          ? error
          : new StripeApiError(500, { type: 'api_error', message: error instanceof Error ? error.message : String(error) });
      const reply = {
        status: apiError.status,
        body: { error: { ...apiError.body, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` } },
      };
      log(params, reply);
      send(response, reply, { requestId, idempotencyKey, version });
    }
  }

  function authenticate(authorization: string | undefined): void {
    let key: string | undefined;
    if (authorization?.startsWith('Bearer ')) key = authorization.slice('Bearer '.length);
    else if (authorization?.startsWith('Basic '))
      key = Buffer.from(authorization.slice('Basic '.length), 'base64').toString('utf8').split(':')[0];
    if (key === undefined || key === '') {
      throw new StripeApiError(401, {
        type: 'invalid_request_error',
        message:
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
      });
    }
    if (key !== secretKey) {
      throw new StripeApiError(401, {
        type: 'invalid_request_error',
        code: 'api_key_invalid',
        message: `Invalid API Key provided: ${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`,
      });
    }
  }

  async function execute(method: string, path: string, params: FormObject, version: string): Promise<Reply> {
    const segments = path.split('/').filter((segment) => segment !== '');
    if (segments[0] !== 'v1') throw unknownRoute(method, path);
    const [, collection, id, action] = segments;
    if (collection === 'payment_intents') {
      if (method === 'POST' && id === undefined) return createPaymentIntent(params, version);
      const intent = id === undefined ? undefined : intents.get(id);
      if (id !== undefined && !intent) {
        throw new StripeApiError(404, {
          type: 'invalid_request_error',
          code: 'resource_missing',
          param: 'intent',
          message: `No such payment_intent: '${id}'`,
        });
      }
      if (method === 'GET' && intent && action === undefined) return ok(intent);
      if (method === 'POST' && intent && action === 'confirm') return confirmPaymentIntent(intent, params);
      if (method === 'POST' && intent && action === 'cancel') return cancelPaymentIntent(intent, params);
    }
    if (collection === 'refunds') {
      if (method === 'POST' && id === undefined) return createRefund(params);
      if (method === 'GET' && id !== undefined && action === undefined) {
        const refund = refunds.get(id);
        if (!refund) {
          throw new StripeApiError(404, {
            type: 'invalid_request_error',
            code: 'resource_missing',
            param: 'id',
            message: `No such refund: '${id}'`,
          });
        }
        return ok(refund);
      }
    }
    throw unknownRoute(method, path);
  }

  function createPaymentIntent(params: FormObject, version: string): Reply {
    allowOnly(params, [
      'allowed_payment_method_types',
      'amount',
      'automatic_payment_methods',
      'confirm',
      'currency',
      'customer',
      'description',
      'excluded_payment_method_types',
      'expand',
      'metadata',
      'off_session',
      'payment_method',
      'payment_method_configuration',
      'payment_method_types',
      'receipt_email',
      'return_url',
      'statement_descriptor_suffix',
    ]);
    const amount = integerParam(params, 'amount', { required: true, min: 1 })!;
    const currency = stringParam(params, 'currency', { required: true })!;
    if (!/^[a-z]{3}$/.test(currency))
      throw invalidRequest(`Invalid currency: ${currency}.`, { code: 'parameter_invalid', param: 'currency' });
    const methodTypes = paymentMethodTypesParam(params, version);
    const confirm = booleanParam(params, 'confirm');
    const paymentMethod = stringParam(params, 'payment_method');
    if (paymentMethod !== undefined) knownPaymentMethod(paymentMethod);
    const id = `pi_${randomId(24)}`;
    const intent: FakePaymentIntent = {
      id,
      object: 'payment_intent',
      amount,
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      cancellation_reason: null,
      capture_method: 'automatic',
      client_secret: `${id}_secret_${randomId(25)}`,
      confirmation_method: 'automatic',
      created: nowSeconds(),
      currency,
      description: stringParam(params, 'description') ?? null,
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      metadata: metadataParam(params),
      next_action: null,
      payment_method: paymentMethod ?? null,
      payment_method_types: methodTypes,
      allowed_payment_method_types: version < endive ? null : methodTypes,
      automatic_payment_methods: null,
      status: paymentMethod === undefined ? 'requires_payment_method' : 'requires_confirmation',
    };
    intents.set(id, intent);
    chargeCount += 1;
    if (confirm) return attempt(intent, paymentMethod, booleanParam(params, 'off_session'));
    return ok(intent);
  }

  function confirmPaymentIntent(intent: FakePaymentIntent, params: FormObject): Reply {
    allowOnly(params, ['expand', 'off_session', 'payment_method', 'return_url']);
    const paymentMethod = stringParam(params, 'payment_method');
    if (paymentMethod !== undefined) knownPaymentMethod(paymentMethod);
    if (!['requires_payment_method', 'requires_confirmation', 'requires_action'].includes(intent.status)) {
      throw invalidRequest(
        `This PaymentIntent's status is ${intent.status}, but it must be requires_payment_method, requires_confirmation or requires_action to be confirmed.`,
        { code: 'payment_intent_unexpected_state', payment_intent: intent },
      );
    }
    return attempt(intent, paymentMethod ?? intent.payment_method ?? undefined, booleanParam(params, 'off_session'));
  }

  /** A confirmation: what Stripe's test payment method decides. */
  function attempt(intent: FakePaymentIntent, paymentMethod: string | undefined, offSession: boolean): Reply {
    if (paymentMethod === undefined) {
      throw invalidRequest("You cannot confirm this PaymentIntent because it's missing a payment method.", {
        code: 'payment_intent_unexpected_state',
        payment_intent: intent,
      });
    }
    const card = knownPaymentMethod(paymentMethod);
    intent.payment_method = paymentMethod;
    if (card.outcome === 'succeeded') {
      completeIntent(intent);
      return ok(intent);
    }
    if (card.outcome === 'requires_action' && !offSession) {
      intent.status = 'requires_action';
      intent.last_payment_error = null;
      intent.next_action = { type: 'use_stripe_sdk', use_stripe_sdk: { type: 'three_d_secure_redirect' } };
      return ok(intent);
    }
    const failure = failIntent(
      intent,
      card.outcome === 'requires_action' ? 'authentication_required' : card.outcome.decline,
      paymentMethod,
    );
    // A declined confirmation answers 402 with the intent, back in requires_payment_method.
    throw new StripeApiError(402, { ...failure, payment_intent: structuredClone(intent) }, true);
  }

  function completeIntent(intent: FakePaymentIntent): void {
    const charge = newCharge(intent, true);
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.latest_charge = charge.id;
    intent.last_payment_error = null;
    intent.next_action = null;
  }

  function failIntent(intent: FakePaymentIntent, code: string, paymentMethod: string | null): FakeCardError {
    const charge = newCharge(intent, false);
    const decline = declines[code] ?? { code, message: 'Your card was declined.' };
    const card = paymentMethod === null ? undefined : testPaymentMethods[paymentMethod];
    const failure: FakeCardError = {
      type: 'card_error',
      ...decline,
      charge: charge.id,
      doc_url: `https://docs.stripe.com/error-codes/${decline.code.replace(/_/g, '-')}`,
      ...(paymentMethod === null
        ? {}
        : {
            payment_method: {
              id: paymentMethod,
              object: 'payment_method',
              type: 'card',
              card: { brand: card?.brand ?? 'visa', last4: card?.last4 ?? '0000' },
            },
          }),
    };
    intent.status = 'requires_payment_method';
    intent.payment_method = null;
    intent.latest_charge = charge.id;
    intent.last_payment_error = failure;
    intent.next_action = null;
    return failure;
  }

  function newCharge(intent: FakePaymentIntent, succeeded: boolean): FakeCharge {
    const charge: FakeCharge = { id: `ch_${randomId(24)}`, amount: intent.amount, amountRefunded: 0, paymentIntent: intent.id, succeeded };
    charges.set(charge.id, charge);
    return charge;
  }

  function cancelPaymentIntent(intent: FakePaymentIntent, params: FormObject): Reply {
    allowOnly(params, ['cancellation_reason', 'expand']);
    const reason = stringParam(params, 'cancellation_reason');
    if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'].includes(reason)) {
      throw invalidRequest(`Invalid cancellation_reason: ${reason}`, { code: 'parameter_invalid', param: 'cancellation_reason' });
    }
    if (intent.status === 'succeeded' || intent.status === 'canceled') {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.`,
        { code: 'payment_intent_unexpected_state', payment_intent: intent },
        true,
      );
    }
    intent.status = 'canceled';
    intent.canceled_at = nowSeconds();
    intent.cancellation_reason = reason ?? null;
    intent.next_action = null;
    return ok(intent);
  }

  function createRefund(params: FormObject): Reply {
    allowOnly(params, ['amount', 'charge', 'expand', 'metadata', 'payment_intent', 'reason']);
    const intentId = stringParam(params, 'payment_intent');
    const chargeId = stringParam(params, 'charge');
    if ((intentId === undefined) === (chargeId === undefined)) {
      throw invalidRequest('You must pass exactly one of payment_intent or charge.', {
        code: 'parameter_missing',
        param: 'payment_intent',
      });
    }
    let charge: FakeCharge | undefined;
    if (intentId !== undefined) {
      const intent = intents.get(intentId);
      if (!intent) {
        throw invalidRequest(`No such payment_intent: '${intentId}'`, { code: 'resource_missing', param: 'payment_intent' });
      }
      if (intent.status !== 'succeeded' || intent.latest_charge === null) {
        throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, {
          code: 'charge_not_refundable',
          param: 'payment_intent',
        });
      }
      charge = charges.get(intent.latest_charge);
    } else {
      charge = charges.get(chargeId!);
      if (!charge) throw invalidRequest(`No such charge: '${chargeId!}'`, { code: 'resource_missing', param: 'charge' });
    }
    const intent = intents.get(charge!.paymentIntent)!;
    const reason = stringParam(params, 'reason');
    if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason)) {
      throw invalidRequest(`Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`, {
        code: 'parameter_invalid',
        param: 'reason',
      });
    }
    const metadata = metadataParam(params);
    const refundable = charge!.amount - charge!.amountRefunded;
    const amount = integerParam(params, 'amount', { min: 1 }) ?? refundable;
    if (refundable === 0) {
      throw invalidRequest(`Charge ${charge!.id} has already been refunded.`, { code: 'charge_already_refunded' }, true);
    }
    if (amount > refundable) {
      throw invalidRequest(
        `Refund amount (${amount} ${intent.currency}) is greater than unrefunded amount on charge (${refundable} ${intent.currency})`,
        { code: 'amount_too_large', param: 'amount' },
        true,
      );
    }
    charge!.amountRefunded += amount;
    const refund: FakeRefund = {
      id: `re_${randomId(24)}`,
      object: 'refund',
      amount,
      balance_transaction: `txn_${randomId(24)}`,
      charge: charge!.id,
      created: nowSeconds(),
      currency: intent.currency,
      metadata,
      payment_intent: intent.id,
      reason: (reason as FakeRefund['reason'] | undefined) ?? null,
      status: 'succeeded',
    };
    refunds.set(refund.id, refund);
    return ok(refund);
  }

  function knownPaymentMethod(id: string) {
    const card = testPaymentMethods[id];
    if (!card) throw invalidRequest(`No such PaymentMethod: '${id}'`, { code: 'resource_missing', param: 'payment_method' });
    return card;
  }

  function intentOf(id: string): FakePaymentIntent {
    const intent = intents.get(id);
    if (!intent) throw new Error(`The fake Stripe has no PaymentIntent ${id}`);
    return intent;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const state: FakeStripe = {
    apiUrl: `http://127.0.0.1:${port}`,
    secretKey,
    webhookSecret,
    intents,
    refunds,
    get chargeCount() {
      return chargeCount;
    },
    requests,
    latencyMs: 0,
    failNext(count, status = 500) {
      faults = { remaining: count, status };
    },
    event(type, object) {
      return {
        id: `evt_${randomId(24)}`,
        object: 'event',
        api_version: apiVersion,
        created: nowSeconds(),
        data: { object: structuredClone(object) },
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        type,
      };
    },
    signedDelivery(event, deliveryOptions = {}) {
      // Stripe delivers the event pretty-printed and signs those exact bytes.
      const rawBody = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event, null, 2), 'utf8');
      const timestamp = Math.floor((deliveryOptions.timestamp ?? new Date()).getTime() / 1000);
      const secrets = [deliveryOptions.secret ?? webhookSecret, ...(deliveryOptions.extraSecrets ?? [])];
      const signatures = secrets.map(
        (secret) => `v1=${createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(rawBody).digest('hex')}`,
      );
      // Test-mode deliveries also carry a legacy v0 signature, which verifiers must ignore.
      const header = [`t=${timestamp}`, ...signatures, `v0=${randomBytes(32).toString('hex')}`].join(',');
      return {
        headers: {
          'stripe-signature': header,
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        },
        rawBody,
      };
    },
    succeed(paymentIntentId) {
      const intent = intentOf(paymentIntentId);
      if (intent.status === 'succeeded' || intent.status === 'canceled') {
        throw new Error(`PaymentIntent ${paymentIntentId} is ${intent.status} and cannot succeed`);
      }
      intent.payment_method ??= 'pm_card_visa';
      completeIntent(intent);
      return structuredClone(intent);
    },
    fail(paymentIntentId, code = 'card_declined') {
      const intent = intentOf(paymentIntentId);
      if (intent.status === 'succeeded' || intent.status === 'canceled') {
        throw new Error(`PaymentIntent ${paymentIntentId} is ${intent.status} and cannot fail`);
      }
      failIntent(intent, code, intent.payment_method ?? 'pm_card_chargeDeclined');
      return structuredClone(intent);
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
  return state;
}

function ok(object: object): Reply {
  return { status: 200, body: structuredClone(object) };
}

function unknownRoute(method: string, path: string): StripeApiError {
  return new StripeApiError(404, {
    type: 'invalid_request_error',
    message: `Unrecognized request URL (${method}: ${path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
  });
}

function send(
  response: ServerResponse,
  reply: Reply,
  context: { requestId: string; idempotencyKey: string | undefined; version: string; extra?: Record<string, string> },
) {
  const payload = JSON.stringify(reply.body, null, 2);
  response.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'request-id': context.requestId,
    'stripe-version': context.version,
    ...(context.idempotencyKey === undefined ? {} : { 'idempotency-key': context.idempotencyKey }),
    ...context.extra,
  });
  response.end(payload);
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Stripe's form encoding: `a[b]=1` nests, `a[0]=x` makes a list. Any key that is not a plain
 * name followed by bracketed names is refused, as Stripe refuses it.
 */
function decodeForm(text: string): FormObject {
  const root: FormObject = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) throw invalidRequest(`Invalid parameter name: ${key}`, { code: 'parameter_unknown', param: key });
    const path = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1]!)];
    if (path.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')) {
      throw invalidRequest(`Invalid parameter name: ${key}`, { code: 'parameter_unknown', param: key });
    }
    let node: FormObject = root;
    for (const [index, part] of path.entries()) {
      if (index === path.length - 1) {
        node[part] = value;
      } else {
        const next = node[part];
        if (typeof next === 'string' || Array.isArray(next)) throw invalidRequest(`Invalid parameter: ${key}`, { param: key });
        node = next ?? (node[part] = {});
      }
    }
  }
  return listify(root) as FormObject;
}

/** Objects whose keys are exactly 0…n-1 are the lists Stripe encodes as `a[0]`, `a[1]`. */
function listify(value: FormValue): FormValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  const entries = keys.map((key) => [key, listify(value[key]!)] as const);
  if (keys.length > 0 && keys.every((key, index) => key === String(index))) return entries.map(([, item]) => item);
  return Object.fromEntries(entries);
}

function canonical(value: FormValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  return `{${Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`)
    .join(',')}}`;
}

/**
 * The payment method types an intent may use. This fake takes cards only, and never dynamic
 * payment methods: whichever parameter the API version reads must name `card` alone.
 */
function paymentMethodTypesParam(params: FormObject, version: string): string[] {
  if (version >= endive && params.payment_method_types !== undefined) {
    throw invalidRequest('payment_method_types is no longer supported on this API version; use allowed_payment_method_types.', {
      code: 'payment_method_types_no_longer_supported',
      param: 'payment_method_types',
    });
  }
  const name = version >= endive ? 'allowed_payment_method_types' : 'payment_method_types';
  const exclusive = [name, 'automatic_payment_methods', 'excluded_payment_method_types', 'payment_method_configuration'];
  const given = exclusive.filter((key) => params[key] !== undefined);
  if (given.length > 1) {
    throw invalidRequest(`You may only specify one of these parameters: ${given.join(', ')}.`, { code: 'parameters_exclusive' });
  }
  const types = params[name];
  if (!Array.isArray(types) || types.length !== 1 || types[0] !== 'card') {
    throw invalidRequest(`This fake takes card payments only: pass ${name}[0]=card.`, { code: 'parameter_invalid', param: name });
  }
  return ['card'];
}

function allowOnly(params: FormObject, allowed: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!allowed.includes(key)) throw invalidRequest(`Received unknown parameter: ${key}`, { code: 'parameter_unknown', param: key });
  }
}

function stringParam(params: FormObject, name: string, options: { required?: boolean } = {}): string | undefined {
  const value = params[name];
  if (value === undefined || value === '') {
    if (options.required) throw invalidRequest(`Missing required param: ${name}.`, { code: 'parameter_missing', param: name });
    return undefined;
  }
  if (typeof value !== 'string') throw invalidRequest(`Invalid string: ${name}`, { code: 'parameter_invalid_string', param: name });
  return value;
}

function integerParam(params: FormObject, name: string, options: { required?: boolean; min?: number } = {}): number | undefined {
  const text = stringParam(params, name, options);
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw invalidRequest(`Invalid integer: ${text}`, { code: 'parameter_invalid_integer', param: name });
  const value = Number(text);
  if (options.min !== undefined && value < options.min) {
    throw invalidRequest(`This value must be greater than or equal to ${options.min}.`, { code: 'parameter_invalid_integer', param: name });
  }
  return value;
}

function booleanParam(params: FormObject, name: string): boolean {
  const text = stringParam(params, name);
  if (text === undefined) return false;
  if (text !== 'true' && text !== 'false') throw invalidRequest(`Invalid boolean: ${text}`, { code: 'parameter_invalid', param: name });
  return text === 'true';
}

function metadataParam(params: FormObject): Record<string, string> {
  const metadata = params.metadata;
  if (metadata === undefined || metadata === '') return {};
  if (typeof metadata === 'string' || Array.isArray(metadata)) {
    throw invalidRequest('Invalid metadata: must be an object', { code: 'parameter_invalid', param: 'metadata' });
  }
  const entries = Object.entries(metadata);
  if (entries.length > 50) throw invalidRequest('Metadata can have at most 50 keys.', { param: 'metadata' });
  return Object.fromEntries(
    entries.map(([key, value]) => {
      if (typeof value !== 'string') throw invalidRequest(`Invalid metadata[${key}]: must be a string`, { param: `metadata[${key}]` });
      if (key.length > 40) throw invalidRequest(`Metadata keys can be at most 40 characters: ${key}`, { param: `metadata[${key}]` });
      if (value.length > 500) throw invalidRequest(`Metadata values can be at most 500 characters.`, { param: `metadata[${key}]` });
      return [key, value];
    }),
  );
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}
