import { parseCallback, stkEventId, stkStatusOf, verifyCallbackToken } from './mpesa-callbacks.ts';
import { createDarajaClient, type DarajaReply, describeError } from './mpesa-daraja.ts';
import { MpesaPayoutsNotConfigured, MpesaRefundUnsupported, MpesaRequestRefused } from './mpesa-errors.ts';
import { darajaMsisdn, darajaTimestamp, stkPassword, wholeShillings } from './mpesa-format.ts';
import {
  type ChargeOutcome,
  type PaymentProvider,
  ProviderUnavailable,
  type ProviderFailure,
  type ProviderNotification,
  type TransferOutcome,
} from './port.ts';

export { MpesaAmountNotWhole, MpesaPayoutsNotConfigured, MpesaRefundUnsupported, MpesaRequestRefused } from './mpesa-errors.ts';

/**
 * M-Pesa through Safaricom's Daraja API: payments by STK push (Lipa na M-Pesa Online), payouts by
 * B2C. Callbacks are unsigned: their URLs carry a secret token, and what one says of a payment is
 * confirmed with the STK push query before it is applied.
 */
export interface MpesaSettings {
  apiUrl: string;
  consumerKey: string;
  consumerSecret: string;
  /** The paybill or till's store number (`BusinessShortCode`); also `PartyB`. */
  shortcode: string;
  passkey: string;
  transactionType: 'CustomerPayBillOnline' | 'CustomerBuyGoodsOnline';
  /** The full STK callback URL, `?token=…` included. */
  callbackUrl: string;
  /** The token every callback URL carries (MPESA_CALLBACK_TOKEN). */
  callbackToken: string;
  b2c?:
    | {
        shortcode: string;
        initiatorName: string;
        securityCredential: string;
        /** Full URLs, `?token=…` included. */
        resultUrl: string;
        timeoutUrl: string;
      }
    | undefined;
  now?: (() => Date) | undefined;
  /** How long one HTTP call may take; 15 s unless told. */
  timeoutMs?: number | undefined;
}

const stkPushPath = '/mpesa/stkpush/v1/processrequest';
const stkQueryPath = '/mpesa/stkpushquery/v1/query';
const b2cPaymentPath = '/mpesa/b2c/v3/paymentrequest';

/** Daraja's shared 500.001.1001 code means "still pending" on the STK query only with this message. */
const stillProcessing = /being processed|under processing/i;

type StkQueryAnswer =
  { kind: 'final'; resultCode: number; resultDesc: string } | { kind: 'processing' } | { kind: 'unknown'; failure: ProviderFailure };

export function createMpesaProvider(settings: MpesaSettings): PaymentProvider {
  const now = settings.now ?? (() => new Date());
  const daraja = createDarajaClient({
    apiUrl: settings.apiUrl,
    consumerKey: settings.consumerKey,
    consumerSecret: settings.consumerSecret,
    now,
    timeoutMs: settings.timeoutMs ?? 15_000,
  });

  function credentials(): { BusinessShortCode: string; Password: string; Timestamp: string } {
    const timestamp = darajaTimestamp(now());
    return {
      BusinessShortCode: settings.shortcode,
      Password: stkPassword(settings.shortcode, settings.passkey, timestamp),
      Timestamp: timestamp,
    };
  }

  async function queryStk(checkoutRequestId: string): Promise<StkQueryAnswer> {
    const reply = await daraja.post(stkQueryPath, { ...credentials(), CheckoutRequestID: checkoutRequestId });
    const { body } = reply;
    const resultCode = codeOf(body?.ResultCode);
    if (reply.status === 200 && resultCode !== undefined) {
      if (!/^-?\d+$/.test(resultCode)) throw unreadable('STK query', reply);
      return { kind: 'final', resultCode: Number(resultCode), resultDesc: typeof body?.ResultDesc === 'string' ? body.ResultDesc : '' };
    }
    if (body?.errorCode === '500.001.1001' && typeof body.errorMessage === 'string' && stillProcessing.test(body.errorMessage)) {
      return { kind: 'processing' };
    }
    if (reply.status === 400 && typeof body?.errorCode === 'string') {
      return { kind: 'unknown', failure: { code: body.errorCode, reason: typeof body.errorMessage === 'string' ? body.errorMessage : '' } };
    }
    throw unreadable('STK query', reply);
  }

  /** The query's answer as a notification about the payment. */
  function fromQuery(base: ProviderNotification, answer: Exclude<StkQueryAnswer, { kind: 'unknown' }>): ProviderNotification {
    if (answer.kind === 'processing') {
      const eventId = stkEventId(base.providerReference, 'processing');
      return { ...base, eventId, status: 'processing', amount: undefined, receiptNumber: undefined, failure: null };
    }
    const status = stkStatusOf(answer.resultCode);
    const confirmsBase = status === base.status && base.eventId === stkEventId(base.providerReference, answer.resultCode);
    return {
      ...base,
      eventId: stkEventId(base.providerReference, answer.resultCode),
      status,
      // The query reports no receipt and no amount: a success keeps the callback's, anything else drops them.
      receiptNumber: status === 'succeeded' ? base.receiptNumber : undefined,
      amount: status === 'succeeded' ? base.amount : undefined,
      failure: status === 'failed' || status === 'cancelled' ? { code: String(answer.resultCode), reason: answer.resultDesc } : null,
      occurredAt: confirmsBase ? base.occurredAt : now(),
    };
  }

  return {
    name: 'mpesa',

    async charge(request): Promise<ChargeOutcome> {
      if (request.method !== 'mobile_money') {
        throw new MpesaRequestRefused('method_unsupported', `M-Pesa takes mobile money, not ${request.method}`);
      }
      const shillings = wholeShillings(request.amount, request.currency);
      const phone = darajaMsisdn(request.payer.phone);
      const reply = await daraja.post(stkPushPath, {
        ...credentials(),
        TransactionType: settings.transactionType,
        Amount: shillings,
        PartyA: phone,
        PartyB: settings.shortcode,
        PhoneNumber: phone,
        CallBackURL: settings.callbackUrl,
        AccountReference: accountReference(request.reference, request.paymentId),
        TransactionDesc: transactionDescription(request.description),
      });
      const { body } = reply;
      const checkoutRequestId =
        typeof body?.CheckoutRequestID === 'string' && body.CheckoutRequestID !== '' ? body.CheckoutRequestID : undefined;
      if (reply.status === 200 && codeOf(body?.ResponseCode) === '0' && checkoutRequestId) {
        const customerMessage =
          typeof body?.CustomerMessage === 'string' ? body.CustomerMessage : 'Check your phone to complete the payment';
        return {
          providerReference: checkoutRequestId,
          status: 'processing',
          clientAction: { type: 'mpesa_stk_push', customerMessage, checkoutRequestId },
          failure: null,
        };
      }
      const failure = refusal(reply);
      if (!failure) throw unreadable('STK push', reply);
      return { providerReference: checkoutRequestId ?? darajaRequestId(reply) ?? request.paymentId, status: 'failed', failure };
    },

    refund(): Promise<TransferOutcome> {
      // Daraja's reversal API is out of scope: the payments module refunds an M-Pesa payment by a B2C payout.
      return Promise.reject(new MpesaRefundUnsupported());
    },

    async payout(request): Promise<TransferOutcome> {
      const b2c = settings.b2c;
      if (!b2c) throw new MpesaPayoutsNotConfigured();
      if (request.destination.type !== 'mpesa') {
        throw new MpesaRequestRefused('destination_unsupported', 'M-Pesa pays out to M-Pesa numbers only');
      }
      const shillings = wholeShillings(request.amount, request.currency);
      const phone = darajaMsisdn(request.destination.phone);
      const reply = await daraja.post(b2cPaymentPath, {
        OriginatorConversationID: request.payoutId,
        InitiatorName: b2c.initiatorName,
        SecurityCredential: b2c.securityCredential,
        CommandID: 'BusinessPayment',
        Amount: shillings,
        PartyA: b2c.shortcode,
        PartyB: phone,
        Remarks: remarks(request.remarks),
        QueueTimeOutURL: b2c.timeoutUrl,
        ResultURL: b2c.resultUrl,
        Occassion: 'Payout',
      });
      const { body } = reply;
      const conversationId = typeof body?.ConversationID === 'string' && body.ConversationID !== '' ? body.ConversationID : undefined;
      if (reply.status === 200 && codeOf(body?.ResponseCode) === '0' && conversationId) {
        return { providerReference: conversationId, status: 'processing', failure: null };
      }
      const failure = refusal(reply);
      if (!failure) throw unreadable('B2C payment request', reply);
      return { providerReference: conversationId ?? darajaRequestId(reply) ?? request.payoutId, status: 'failed', failure };
    },

    verifyWebhook(delivery) {
      verifyCallbackToken(delivery, settings.callbackToken);
      return [parseCallback(delivery)];
    },

    async confirm(notification) {
      // B2C has no synchronous status query: its result arrives only at the (token-guarded) result URL.
      if (notification.object !== 'payment') return notification;
      const answer = await queryStk(notification.providerReference);
      if (answer.kind === 'unknown') {
        throw new ProviderUnavailable(
          'mpesa',
          `Daraja does not confirm STK push ${notification.providerReference}: ${answer.failure.code} ${answer.failure.reason}`,
        );
      }
      return fromQuery(notification, answer);
    },

    async retrieve(checkoutRequestId) {
      const answer = await queryStk(checkoutRequestId);
      if (answer.kind === 'unknown') return null;
      const base: ProviderNotification = {
        eventId: stkEventId(checkoutRequestId, 'processing'),
        eventType: 'stk_push_query',
        occurredAt: now(),
        object: 'payment',
        providerReference: checkoutRequestId,
        status: 'processing',
        currency: 'KES',
        failure: null,
      };
      return fromQuery(base, answer);
    },
  };
}

/** A request Daraja read and refused: a non-zero `ResponseCode`, or HTTP 400 with its `errorCode`. */
function refusal(reply: DarajaReply): ProviderFailure | undefined {
  const { body } = reply;
  const responseCode = codeOf(body?.ResponseCode);
  if (reply.status === 200 && responseCode !== undefined && responseCode !== '0') {
    return { code: responseCode, reason: typeof body?.ResponseDescription === 'string' ? body.ResponseDescription : '' };
  }
  if (reply.status === 400 && typeof body?.errorCode === 'string') {
    return { code: body.errorCode, reason: typeof body.errorMessage === 'string' ? body.errorMessage : '' };
  }
  return undefined;
}

/** Daraja's codes come as strings ("0") or numbers (0). */
function codeOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

function darajaRequestId(reply: DarajaReply): string | undefined {
  const id = reply.body?.requestId;
  return typeof id === 'string' && id !== '' && id.length <= 255 ? id : undefined;
}

function unreadable(call: string, reply: DarajaReply): ProviderUnavailable {
  return new ProviderUnavailable('mpesa', `Daraja answered the ${call} with HTTP ${reply.status}${describeError(reply)}`);
}

/** `AccountReference`: shown on the STK prompt, 12 characters at most. */
function accountReference(reference: string, paymentId: string): string {
  const cleaned = reference
    .replace(/[^A-Za-z0-9 -]/g, '')
    .trim()
    .slice(0, 12)
    .trim();
  return cleaned === '' ? paymentId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) : cleaned;
}

/** `TransactionDesc`: a short note (Daraja documents 13 characters at most). */
function transactionDescription(description: string): string {
  const cleaned = description
    .replace(/[^A-Za-z0-9 .,-]/g, '')
    .trim()
    .slice(0, 13)
    .trim();
  return cleaned === '' ? 'Payment' : cleaned;
}

/** B2C `Remarks`: 2 to 100 characters. */
function remarks(text: string): string {
  const cleaned = text.trim().slice(0, 100);
  return cleaned.length < 2 ? 'Owner payout' : cleaned;
}
