import Stripe from 'stripe';
import {
  ProviderUnavailable,
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentProvider,
  type ProviderNotification,
  type RefundRequest,
  type TransferOutcome,
  type WebhookDelivery,
} from './port.ts';
import { verifySignatureHeader } from './signature.ts';
import {
  failureOf,
  notificationOfIntent,
  notificationsOfEvent,
  outcomeOfIntent,
  outcomeOfRefund,
  paymentStatusOf,
} from './stripe-events.ts';

/**
 * Card payments through Stripe's PaymentIntents, with the official client pointed at STRIPE_API_URL.
 * Every write carries our own id as its `Idempotency-Key` (the payment id for a PaymentIntent, the
 * refund id for a Refund), so a retry — the client's own after a network error or a 409, or ours
 * after a crash — replays Stripe's first answer instead of charging twice.
 */
export interface StripeProviderSettings {
  secretKey: string;
  /** Endpoint secrets (`whsec_…`): several while one rotates. */
  webhookSecrets: string[];
  /** `https://api.stripe.com`, or a local Stripe in tests: an origin, without a path. */
  apiUrl: string;
  /** Seconds a delivery's signature timestamp may differ from now; Stripe's default, 300. */
  toleranceSeconds?: number;
  /** Retries of a request that met a network error, a 409 or a 5xx (Stripe's client backs off between them). */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

export function createStripeProvider(settings: StripeProviderSettings): PaymentProvider {
  const stripe = new Stripe(settings.secretKey, {
    ...addressOf(settings.apiUrl),
    maxNetworkRetries: settings.maxNetworkRetries ?? 2,
    timeout: settings.timeoutMs ?? 20_000,
    telemetry: false,
  });
  const toleranceSeconds = settings.toleranceSeconds ?? 300;

  async function cancelIntent(providerReference: string): Promise<boolean> {
    try {
      await stripe.paymentIntents.cancel(providerReference, {}, { idempotencyKey: `cancel-${providerReference}` });
      return true;
    } catch (error) {
      // Already succeeded or cancelled: nothing to cancel, and its own webhook tells what became of it.
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'payment_intent_unexpected_state') return false;
      raiseUnavailable('cancel the PaymentIntent', error);
    }
  }

  return {
    name: 'stripe',

    async charge(request: ChargeRequest): Promise<ChargeOutcome> {
      if (request.method !== 'card') throw new Error(`Stripe takes card payments here, not ${request.method}`);
      const params: Stripe.PaymentIntentCreateParams = {
        amount: request.amount,
        currency: request.currency.toLowerCase(),
        description: request.description,
        metadata: { ...request.metadata, reference: request.reference, paymentId: request.paymentId, orgId: request.orgId },
        // Cards only, and no redirect-based method that would need a return_url. The pinned API
        // version (2026-09-30 and later) refuses the older `payment_method_types` parameter.
        allowed_payment_method_types: ['card'],
        ...(request.paymentMethodToken ? { payment_method: request.paymentMethodToken, confirm: true } : {}),
      };
      let outcome: ChargeOutcome;
      try {
        outcome = outcomeOfIntent(await stripe.paymentIntents.create(params, { idempotencyKey: request.paymentId }));
      } catch (error) {
        if (!(error instanceof Stripe.errors.StripeCardError)) raiseUnavailable('create the PaymentIntent', error);
        outcome = outcomeOfDecline(error);
      }
      // A saved card declined fails the payment for good: the intent is cancelled so that it can
      // never succeed later behind the payment's back.
      if (request.paymentMethodToken && outcome.failure && outcome.providerReference.startsWith('pi_')) {
        await cancelIntent(outcome.providerReference);
        return { ...outcome, status: 'failed', clientAction: null };
      }
      return outcome;
    },

    cancel: cancelIntent,

    async refund(request: RefundRequest): Promise<TransferOutcome> {
      const reason = refundReasonOf(request.reason);
      try {
        const refund = await stripe.refunds.create(
          {
            payment_intent: request.paymentReference,
            amount: request.amount,
            ...(reason ? { reason } : {}),
            metadata: { refundId: request.refundId, reason: request.reason.slice(0, 500) },
          },
          { idempotencyKey: request.refundId },
        );
        return outcomeOfRefund(refund);
      } catch (error) {
        raiseUnavailable('create the refund', error);
      }
    },

    verifyWebhook(delivery: WebhookDelivery): ProviderNotification[] {
      verifySignatureHeader(headerOf(delivery.headers, 'stripe-signature'), delivery.rawBody, {
        secrets: settings.webhookSecrets,
        now: delivery.now,
        toleranceSeconds,
      });
      return notificationsOfEvent(delivery.rawBody);
    },

    async retrieve(providerReference: string): Promise<ProviderNotification | null> {
      let intent: Stripe.PaymentIntent;
      try {
        intent = await stripe.paymentIntents.retrieve(providerReference);
      } catch (error) {
        if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 404) return null;
        raiseUnavailable('retrieve the PaymentIntent', error);
      }
      return notificationOfIntent(intent, {
        id: `retrieve:${intent.id}:${paymentStatusOf(intent)}`,
        type: 'payment_intent.retrieve',
        occurredAt: new Date(),
      });
    },
  };
}

function addressOf(apiUrl: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`The Stripe API URL must be http(s): ${apiUrl}`);
  if (url.pathname !== '/' || url.search !== '') throw new Error(`The Stripe API URL must be an origin, without a path: ${apiUrl}`);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port === '' ? (protocol === 'http' ? 80 : 443) : Number(url.port), protocol };
}

/**
 * A declined card answers 402 with the PaymentIntent, back in `requires_payment_method` with the
 * decline as its `last_payment_error`: an outcome, not an outage.
 */
function outcomeOfDecline(error: Stripe.errors.StripeCardError): ChargeOutcome {
  const intent = error.payment_intent;
  return {
    providerReference: intent?.id ?? error.charge ?? '',
    status: 'failed',
    clientAction: null,
    failure: failureOf(intent?.last_payment_error ?? error),
  };
}

/** Stripe names three reasons; any other of ours travels only in the metadata. */
function refundReasonOf(reason: string): Stripe.RefundCreateParams.Reason | undefined {
  switch (
    reason
      .trim()
      .toLowerCase()
      .replace(/[\s-]+/g, '_')
  ) {
    case 'duplicate':
      return 'duplicate';
    case 'fraud':
    case 'fraudulent':
      return 'fraudulent';
    case 'requested_by_customer':
    case 'customer_request':
    case 'customer_requested':
      return 'requested_by_customer';
    default:
      return undefined;
  }
}

/**
 * Stripe unreachable, answering 5xx or 409 after the client's retries, or refusing the request
 * itself (a key, a parameter, an idempotency key reused with other parameters): no outcome to read.
 */
function raiseUnavailable(action: string, error: unknown): never {
  if (!(error instanceof Stripe.errors.StripeError)) throw error;
  const detail = [error.statusCode, error.code ?? error.rawType].filter((part) => part !== undefined).join(' ');
  throw new ProviderUnavailable('stripe', `Stripe could not ${action}${detail ? ` (${detail})` : ''}: ${error.message}`, { cause: error });
}

function headerOf(headers: WebhookDelivery['headers'], name: string): string | string[] | undefined {
  return headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
}
