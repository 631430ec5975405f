import { z } from 'zod';
import {
  WebhookRejected,
  type ChargeOutcome,
  type ProviderFailure,
  type ProviderNotification,
  type ProviderPaymentStatus,
  type ProviderTransferStatus,
  type TransferOutcome,
} from './port.ts';

/**
 * How Stripe's PaymentIntents, Refunds and Events read in the port's words. Shared by the answers of
 * the API (typed by the `stripe` package) and webhook deliveries (checked here), so both only need
 * the few fields below.
 */

interface StripeErrorFacts {
  code?: string | null | undefined;
  decline_code?: string | null | undefined;
  message?: string | null | undefined;
}

interface IntentFacts {
  id: string;
  status: string;
  amount: number;
  currency: string;
  client_secret?: string | null | undefined;
  last_payment_error?: StripeErrorFacts | null | undefined;
}

interface RefundFacts {
  id: string;
  status?: string | null | undefined;
  amount: number;
  currency: string;
  failure_reason?: string | null | undefined;
}

/**
 * A decline's own reason (`insufficient_funds`, `expired_card`) when the issuer gave one; Stripe's
 * error code (`card_declined`) when the decline is generic.
 */
export function failureOf(error: StripeErrorFacts | null | undefined): ProviderFailure {
  const declineCode = error?.decline_code ?? undefined;
  const code =
    declineCode !== undefined && declineCode !== 'generic_decline' ? declineCode : (error?.code ?? declineCode ?? 'payment_failed');
  return { code, reason: error?.message ?? 'The payment failed' };
}

export function paymentStatusOf(intent: Pick<IntentFacts, 'status' | 'last_payment_error'>): ProviderPaymentStatus {
  switch (intent.status) {
    case 'succeeded':
      return 'succeeded';
    case 'processing':
    case 'requires_capture':
      return 'processing';
    case 'canceled':
      return 'cancelled';
    case 'requires_action':
    case 'requires_confirmation':
      return 'requires_action';
    case 'requires_payment_method':
      // Before any attempt, or after one failed: the customer may still try another card with the
      // same client secret, so at Stripe only `canceled` is final. The decline travels as the failure.
      return 'requires_action';
    default:
      return 'pending';
  }
}

export function outcomeOfIntent(intent: IntentFacts): ChargeOutcome {
  const status = paymentStatusOf(intent);
  return {
    providerReference: intent.id,
    status,
    clientAction:
      status === 'requires_action' && intent.client_secret
        ? { type: 'stripe_client_secret', clientSecret: intent.client_secret, paymentIntentId: intent.id }
        : null,
    failure: intent.last_payment_error ? failureOf(intent.last_payment_error) : null,
  };
}

export function refundStatusOf(status: string | null | undefined): ProviderTransferStatus {
  switch (status) {
    case 'succeeded':
      return 'succeeded';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'cancelled';
    case 'pending':
    case 'requires_action':
      return 'processing';
    default:
      return 'pending';
  }
}

function refundFailureOf(refund: RefundFacts): ProviderFailure {
  const code = refund.failure_reason ?? 'refund_failed';
  return { code, reason: `Stripe could not refund the payment: ${code.replace(/_/g, ' ')}` };
}

export function outcomeOfRefund(refund: RefundFacts): TransferOutcome {
  const status = refundStatusOf(refund.status);
  return { providerReference: refund.id, status, failure: status === 'failed' ? refundFailureOf(refund) : null };
}

export function notificationOfIntent(intent: IntentFacts, event: { id: string; type: string; occurredAt: Date }): ProviderNotification {
  const status = paymentStatusOf(intent);
  return {
    eventId: event.id,
    eventType: event.type,
    occurredAt: event.occurredAt,
    object: 'payment',
    providerReference: intent.id,
    status,
    amount: intent.amount,
    currency: intent.currency.toUpperCase(),
    failure: intent.last_payment_error ? failureOf(intent.last_payment_error) : null,
  };
}

const errorShape = z.object({ code: z.string().nullish(), decline_code: z.string().nullish(), message: z.string().nullish() });
const currencyShape = z.string().regex(/^[A-Za-z]{3}$/);

const eventShape = z.object({
  id: z.string().min(1),
  object: z.literal('event'),
  type: z.string().min(1),
  created: z.number().int().nonnegative(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

const intentShape = z.object({
  id: z.string().min(1),
  object: z.literal('payment_intent'),
  status: z.string(),
  amount: z.number().int().nonnegative(),
  currency: currencyShape,
  last_payment_error: errorShape.nullish(),
});

const refundShape = z.object({
  id: z.string().min(1),
  object: z.literal('refund'),
  status: z.string().nullish(),
  amount: z.number().int().nonnegative(),
  currency: currencyShape,
  failure_reason: z.string().nullish(),
});

/** What each PaymentIntent event asserts, whatever the order its deliveries arrive in. */
const paymentEventStatuses: Record<string, ProviderPaymentStatus> = {
  'payment_intent.succeeded': 'succeeded',
  'payment_intent.processing': 'processing',
  'payment_intent.requires_action': 'requires_action',
  // The intent is back to awaiting a payment method: the customer may try another card.
  'payment_intent.payment_failed': 'requires_action',
  'payment_intent.canceled': 'cancelled',
};

// `charge.refunded` describes the same change as these, so it is left out.
const refundEventTypes = new Set(['refund.created', 'refund.updated', 'refund.failed', 'charge.refund.updated']);

/** Reads a verified delivery's Event; a body that is not one is `payload_invalid`. Types we do not follow read as nothing. */
export function notificationsOfEvent(rawBody: Buffer): ProviderNotification[] {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected('payload_invalid', 'The delivery is not JSON');
  }
  const event = parse(eventShape, json, 'a Stripe event');
  const occurredAt = new Date(event.created * 1000);
  const paymentStatus = paymentEventStatuses[event.type];
  if (paymentStatus !== undefined) {
    const intent = parse(intentShape, event.data.object, 'a PaymentIntent');
    return [
      {
        eventId: event.id,
        eventType: event.type,
        occurredAt,
        object: 'payment',
        providerReference: intent.id,
        status: paymentStatus,
        amount: intent.amount,
        currency: intent.currency.toUpperCase(),
        failure: intent.last_payment_error ? failureOf(intent.last_payment_error) : null,
      },
    ];
  }
  if (refundEventTypes.has(event.type)) {
    const refund = parse(refundShape, event.data.object, 'a Refund');
    const { status, failure } = outcomeOfRefund(refund);
    return [
      {
        eventId: event.id,
        eventType: event.type,
        occurredAt,
        object: 'refund',
        providerReference: refund.id,
        status,
        amount: refund.amount,
        currency: refund.currency.toUpperCase(),
        failure,
      },
    ];
  }
  return [];
}

function parse<T>(shape: z.ZodType<T>, value: unknown, what: string): T {
  const result = shape.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new WebhookRejected(
      'payload_invalid',
      `The delivery is not ${what}: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'bad shape'}`,
    );
  }
  return result.data;
}
