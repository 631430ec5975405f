import { createHash, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { minorUnitsOf, parseB2cCompletedAt, parseDarajaTimestamp } from './mpesa-format.ts';
import { type ProviderNotification, type ProviderPaymentStatus, WebhookRejected, type WebhookDelivery } from './port.ts';

/**
 * What Daraja posts to our callback URLs: the result of an STK push (`Body.stkCallback`) and the
 * result of a B2C payment (`Result`). Neither is signed, so the URL carries a secret token, and what
 * a callback claims about a payment is confirmed with the STK query before it is applied.
 */

/** The status an STK push result code means. 4999 ("still under processing") is reported by some integrators; unverified. */
export function stkStatusOf(resultCode: number): ProviderPaymentStatus {
  if (resultCode === 0) return 'succeeded';
  if (resultCode === 1032) return 'cancelled';
  if (resultCode === 4999) return 'processing';
  return 'failed';
}

export function stkEventId(checkoutRequestId: string, resultCode: number | 'processing'): string {
  return `stk:${checkoutRequestId}:${resultCode}`;
}

/** Refuses a delivery whose `?token=` is not ours, comparing in constant time. */
export function verifyCallbackToken(delivery: WebhookDelivery, expected: string): void {
  const given = delivery.searchParams.get('token');
  if (given === null || given === '') throw new WebhookRejected('signature_invalid', 'The callback URL carries no token');
  // Equal-length digests, so neither the comparison nor its length check tells how much matched.
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  if (!timingSafeEqual(digest(given), digest(expected)))
    throw new WebhookRejected('signature_invalid', 'The callback token does not match');
}

const resultCode = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/)
    .transform(Number),
]);
const scalar = z.union([z.string(), z.number()]);

const stkCallbackBody = z.object({
  Body: z.object({
    stkCallback: z.object({
      MerchantRequestID: z.string().optional(),
      CheckoutRequestID: z.string().min(1).max(255),
      ResultCode: resultCode,
      ResultDesc: z.string(),
      CallbackMetadata: z.object({ Item: z.array(z.object({ Name: z.string(), Value: scalar.optional() })) }).optional(),
    }),
  }),
});

const resultParameter = z.object({ Key: z.string(), Value: scalar.optional() });

const b2cResultBody = z.object({
  Result: z.object({
    ResultType: scalar.optional(),
    ResultCode: resultCode,
    ResultDesc: z.string(),
    OriginatorConversationID: z.string().optional(),
    ConversationID: z.string().optional(),
    TransactionID: z.string().optional(),
    ResultParameters: z
      .object({ ResultParameter: z.union([z.array(resultParameter), resultParameter]) })
      .optional()
      .nullable(),
  }),
});

/** Reads a delivery whose token was verified: one notification about a payment or a payout. */
export function parseCallback(delivery: WebhookDelivery): ProviderNotification {
  let json: unknown;
  try {
    json = JSON.parse(delivery.rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected('payload_invalid', 'The callback body is not JSON');
  }
  const stk = stkCallbackBody.safeParse(json);
  if (stk.success) return stkNotification(stk.data.Body.stkCallback, delivery.now);
  const b2c = b2cResultBody.safeParse(json);
  if (b2c.success) return b2cNotification(b2c.data.Result, delivery.now);
  throw new WebhookRejected('payload_invalid', 'The callback is neither an STK push result nor a B2C result');
}

function stkNotification(callback: z.infer<typeof stkCallbackBody>['Body']['stkCallback'], now: Date): ProviderNotification {
  const status = stkStatusOf(callback.ResultCode);
  const metadata = new Map((callback.CallbackMetadata?.Item ?? []).map((item) => [item.Name, item.Value]));
  const succeeded = status === 'succeeded';
  const receipt = metadata.get('MpesaReceiptNumber');
  return {
    eventId: stkEventId(callback.CheckoutRequestID, callback.ResultCode),
    eventType: 'stk_callback',
    occurredAt: (succeeded ? parseDarajaTimestamp(metadata.get('TransactionDate')) : undefined) ?? now,
    object: 'payment',
    providerReference: callback.CheckoutRequestID,
    status,
    amount: succeeded ? minorUnitsOf(metadata.get('Amount')) : undefined,
    currency: 'KES',
    receiptNumber: succeeded && typeof receipt === 'string' && receipt !== '' ? receipt : undefined,
    failure: status === 'failed' || status === 'cancelled' ? { code: String(callback.ResultCode), reason: callback.ResultDesc } : null,
  };
}

function b2cNotification(result: z.infer<typeof b2cResultBody>['Result'], now: Date): ProviderNotification {
  // Our payout request names the payout (OriginatorConversationID = payout id) and Daraja answers
  // with its ConversationID, which we keep as the reference; a result lacking it falls back to ours.
  const reference = result.ConversationID || result.OriginatorConversationID;
  if (!reference) throw new WebhookRejected('payload_invalid', 'The B2C result names no conversation');
  const raw = result.ResultParameters?.ResultParameter;
  const parameters = new Map((Array.isArray(raw) ? raw : raw ? [raw] : []).map((parameter) => [parameter.Key, parameter.Value]));
  const succeeded = result.ResultCode === 0;
  const receipt = result.TransactionID || parameters.get('TransactionReceipt');
  return {
    eventId: `b2c:${reference}:${result.ResultCode}`,
    eventType: 'b2c_result',
    occurredAt: (succeeded ? parseB2cCompletedAt(parameters.get('TransactionCompletedDateTime')) : undefined) ?? now,
    object: 'payout',
    providerReference: reference,
    status: succeeded ? 'succeeded' : 'failed',
    amount: succeeded ? minorUnitsOf(parameters.get('TransactionAmount')) : undefined,
    currency: 'KES',
    receiptNumber: succeeded && typeof receipt === 'string' && receipt !== '' ? receipt : undefined,
    failure: succeeded ? null : { code: String(result.ResultCode), reason: result.ResultDesc },
  };
}
