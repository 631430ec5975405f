import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeDaraja, type FakeDarajaOptions, startFakeDaraja } from '../../../../test/fakes/daraja-server.ts';
import {
  createMpesaProvider,
  MpesaAmountNotWhole,
  MpesaPayoutsNotConfigured,
  MpesaRefundUnsupported,
  MpesaRequestRefused,
  type MpesaSettings,
} from './mpesa.ts';
import { type ChargeRequest, type PaymentProvider, ProviderUnavailable, WebhookRejected, type WebhookDelivery } from './port.ts';

const callbackToken = 'mpesa-callback-token-0123456789';
const succeedingPhone = '+254712345678';

let clock: Date;
const now = () => clock;
let fake: FakeDaraja;
let mpesa: PaymentProvider;

function providerFor(daraja: FakeDaraja, overrides: Partial<MpesaSettings> = {}): PaymentProvider {
  return createMpesaProvider({
    apiUrl: daraja.apiUrl,
    consumerKey: daraja.consumerKey,
    consumerSecret: daraja.consumerSecret,
    shortcode: daraja.shortcode,
    passkey: daraja.passkey,
    transactionType: 'CustomerPayBillOnline',
    callbackUrl: `https://tenure.example/v1/webhooks/mpesa?token=${callbackToken}`,
    callbackToken,
    b2c: {
      shortcode: daraja.b2c.shortcode,
      initiatorName: daraja.b2c.initiatorName,
      securityCredential: daraja.b2c.securityCredential,
      resultUrl: `https://tenure.example/v1/webhooks/mpesa/b2c?token=${callbackToken}`,
      timeoutUrl: `https://tenure.example/v1/webhooks/mpesa/b2c-timeout?token=${callbackToken}`,
    },
    now,
    timeoutMs: 2_000,
    ...overrides,
  });
}

async function startWith(options: FakeDarajaOptions = {}): Promise<void> {
  fake = await startFakeDaraja({ now, ...options });
  mpesa = providerFor(fake);
}

function chargeRequest(overrides: Partial<ChargeRequest> = {}): ChargeRequest {
  return {
    paymentId: '0195c3a0-7f1e-7000-8000-000000000001',
    orgId: '0195c3a0-7f1e-7000-8000-0000000000aa',
    amount: 150_000,
    currency: 'KES',
    method: 'mobile_money',
    description: 'Rent for March 2026, unit 4B',
    reference: 'BK-2026-000123',
    payer: { name: 'Achieng Otieno', phone: succeedingPhone },
    metadata: {},
    ...overrides,
  };
}

function delivery(body: unknown, token: string | null = callbackToken): WebhookDelivery {
  return {
    headers: { 'content-type': 'application/json' },
    searchParams: new URLSearchParams(token === null ? {} : { token }),
    rawBody: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
    now: clock,
  };
}

async function pushTo(phone: string): Promise<string> {
  const outcome = await mpesa.charge(chargeRequest({ payer: { phone } }));
  expect(outcome.status).toBe('processing');
  return outcome.providerReference;
}

beforeEach(async () => {
  clock = new Date('2026-03-10T09:00:00.000Z');
  await startWith();
});
afterEach(async () => {
  await fake.close();
});

describe('M-Pesa access token', () => {
  it('is fetched once for many calls, concurrent ones included, and again once it has run out', async () => {
    await Promise.all([pushTo(succeedingPhone), pushTo(succeedingPhone), pushTo(succeedingPhone)]);
    await pushTo(succeedingPhone);
    expect(fake.tokenFetches).toBe(1);

    clock = new Date(clock.getTime() + 3_500_000); // 58 minutes later: still fresh enough
    await pushTo(succeedingPhone);
    expect(fake.tokenFetches).toBe(1);

    clock = new Date(clock.getTime() + 60_000); // within a minute of expiring: renewed before it can fail
    await pushTo(succeedingPhone);
    expect(fake.tokenFetches).toBe(2);
    expect(fake.requests.filter((request) => request.status === 401)).toEqual([]);
  });

  it('is fetched again, once for concurrent callers, when Daraja refuses it, and the call is sent once more', async () => {
    await pushTo(succeedingPhone);
    fake.expireTokens();
    await Promise.all([pushTo(succeedingPhone), pushTo(succeedingPhone), pushTo(succeedingPhone)]);
    expect(fake.tokenFetches).toBe(2);
    expect(fake.requests.filter((request) => request.errorCode === '404.001.03')).toHaveLength(3);
    expect(fake.stkRequests).toHaveLength(4);
  });

  it('is refreshed too when the gateway answers an invalid token with HTTP 404', async () => {
    await fake.close();
    await startWith({ invalidTokenStatus: 404 });
    await pushTo(succeedingPhone);
    fake.expireTokens();
    await pushTo(succeedingPhone);
    expect(fake.tokenFetches).toBe(2);
    expect(fake.requests.map((request) => request.status)).toEqual([200, 200, 404, 200, 200]);
  });

  it('is sent with Basic credentials: wrong ones leave the provider unavailable', async () => {
    const wrong = providerFor(fake, { consumerSecret: 'not-the-secret' });
    await expect(wrong.charge(chargeRequest())).rejects.toThrow(ProviderUnavailable);
    await expect(wrong.charge(chargeRequest())).rejects.toThrow(/400\.008\.01 Invalid Authentication passed/);
    expect(fake.stkRequests).toEqual([]);
  });
});

describe('M-Pesa charge (STK push)', () => {
  it('asks the payer to approve on their phone and reports the payment processing', async () => {
    const outcome = await mpesa.charge(chargeRequest({ reference: 'BOOKING-2026-000123' }));
    const [stk] = fake.stkRequests;
    expect(outcome).toEqual({
      providerReference: stk!.checkoutRequestId,
      status: 'processing',
      clientAction: {
        type: 'mpesa_stk_push',
        customerMessage: 'Success. Request accepted for processing',
        checkoutRequestId: stk!.checkoutRequestId,
      },
      failure: null,
    });
    expect(stk!.body).toMatchObject({
      BusinessShortCode: fake.shortcode,
      TransactionType: 'CustomerPayBillOnline',
      Amount: 1500,
      PartyA: '254712345678',
      PartyB: fake.shortcode,
      PhoneNumber: '254712345678',
      CallBackURL: `https://tenure.example/v1/webhooks/mpesa?token=${callbackToken}`,
      AccountReference: 'BOOKING-2026',
    });
    expect((stk!.body.TransactionDesc as string).length).toBeLessThanOrEqual(13);
  });

  it('signs with base64(shortcode + passkey + timestamp), the timestamp in Nairobi time', async () => {
    await pushTo(succeedingPhone);
    const { body } = fake.stkRequests[0]!;
    expect(body.Timestamp).toBe('20260310120000'); // 09:00 UTC is noon in Nairobi
    expect(Buffer.from(body.Password as string, 'base64').toString()).toBe(`${fake.shortcode}${fake.passkey}20260310120000`);
  });

  it('is refused by Daraja with a wrong passkey, which leaves the provider unavailable', async () => {
    const wrong = providerFor(fake, { passkey: 'not-the-passkey' });
    await expect(wrong.charge(chargeRequest())).rejects.toThrow(/500\.001\.1001 Wrong credentials/);
    expect(fake.stkRequests).toEqual([]);
  });

  it('reports a request Daraja reads and refuses (HTTP 400) as a failed payment with its code', async () => {
    const wrong = providerFor(fake, { shortcode: '999999' });
    const outcome = await wrong.charge(chargeRequest());
    expect(outcome).toMatchObject({
      status: 'failed',
      failure: { code: '400.002.02', reason: 'Bad Request - Invalid BusinessShortCode' },
    });
    expect(outcome.providerReference).not.toBe('');
  });

  it('refuses an amount that is not whole shillings before calling Daraja', async () => {
    await expect(mpesa.charge(chargeRequest({ amount: 150_050 }))).rejects.toThrow(MpesaAmountNotWhole);
    await expect(mpesa.charge(chargeRequest({ amount: 1 }))).rejects.toMatchObject({ code: 'amount_not_whole' });
    expect(fake.requests).toEqual([]);
  });

  it('refuses another currency, another method or a number M-Pesa cannot prompt, before calling Daraja', async () => {
    await expect(mpesa.charge(chargeRequest({ currency: 'USD' }))).rejects.toMatchObject({ code: 'currency_unsupported' });
    await expect(mpesa.charge(chargeRequest({ method: 'card' }))).rejects.toMatchObject({ code: 'method_unsupported' });
    await expect(mpesa.charge(chargeRequest({ payer: { phone: '+14155550100' } }))).rejects.toThrow(MpesaRequestRefused);
    await expect(mpesa.charge(chargeRequest({ payer: {} }))).rejects.toMatchObject({ code: 'phone_invalid' });
    expect(fake.requests).toEqual([]);
  });

  it('accepts a local Kenyan number and a 2541… one', async () => {
    await pushTo('0712345678');
    await pushTo('+254 110 123 456');
    expect(fake.stkRequests.map((stk) => stk.phone)).toEqual(['254712345678', '254110123456']);
  });

  it('reports Daraja unreachable as ProviderUnavailable', async () => {
    await fake.close();
    await expect(mpesa.charge(chargeRequest())).rejects.toThrow(ProviderUnavailable);
    fake = await startFakeDaraja({ now }); // for afterEach
  });
});

describe('M-Pesa callbacks', () => {
  it('are refused unless their URL carries our token', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    const body = fake.complete(checkoutRequestId);
    for (const token of [null, '', 'mpesa-callback-token-wrong', `${callbackToken}x`]) {
      expect(() => mpesa.verifyWebhook(delivery(body, token))).toThrow(expect.objectContaining({ code: 'signature_invalid' }));
    }
    expect(() => mpesa.verifyWebhook(delivery(body))).not.toThrow();
  });

  it('are refused when they are not JSON or not a Daraja result', () => {
    for (const body of ['{not json', { Body: {} }, { Result: { ResultCode: 0 } }, [1, 2]]) {
      const attempt = () => mpesa.verifyWebhook(delivery(body));
      expect(attempt).toThrow(WebhookRejected);
      expect(attempt).toThrow(expect.objectContaining({ code: 'payload_invalid' }));
    }
  });

  it('read a successful STK push with its receipt, amount and time', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    clock = new Date('2026-03-10T09:01:30.000Z');
    const body = fake.complete(checkoutRequestId);
    const receipt = body.Body.stkCallback.CallbackMetadata!.Item.find((item) => item.Name === 'MpesaReceiptNumber')!.Value;
    expect(receipt).toMatch(/^[A-Z][A-Z0-9]{9}$/);
    expect(mpesa.verifyWebhook(delivery(body))).toEqual([
      {
        eventId: `stk:${checkoutRequestId}:0`,
        eventType: 'stk_callback',
        occurredAt: new Date('2026-03-10T09:01:30.000Z'),
        object: 'payment',
        providerReference: checkoutRequestId,
        status: 'succeeded',
        amount: 150_000,
        currency: 'KES',
        receiptNumber: receipt,
        failure: null,
      },
    ]);
  });

  it.each([
    ['+254712340001', 'failed', '1', 'The balance is insufficient for the transaction.'],
    ['+254712341032', 'cancelled', '1032', 'Request cancelled by user'],
    ['+254712341037', 'failed', '1037', 'DS timeout user cannot be reached'],
  ] as const)('read an STK push from %s as %s (%s)', async (phone, status, code, reason) => {
    const checkoutRequestId = await pushTo(phone);
    const body = fake.complete(checkoutRequestId);
    expect(body.Body.stkCallback.CallbackMetadata).toBeUndefined();
    const [notification] = mpesa.verifyWebhook(delivery(body));
    expect(notification).toMatchObject({
      eventId: `stk:${checkoutRequestId}:${code}`,
      object: 'payment',
      providerReference: checkoutRequestId,
      status,
      receiptNumber: undefined,
      amount: undefined,
      failure: { code, reason },
    });
  });

  it('read result codes sent as strings too', () => {
    const body = {
      Body: { stkCallback: { MerchantRequestID: 'm-1', CheckoutRequestID: 'ws_CO_1', ResultCode: '2001', ResultDesc: 'Wrong PIN' } },
    };
    expect(mpesa.verifyWebhook(delivery(body))[0]).toMatchObject({ status: 'failed', failure: { code: '2001', reason: 'Wrong PIN' } });
  });
});

describe('M-Pesa confirm and retrieve (STK push query)', () => {
  it('confirm a genuine success, keeping the callback receipt', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    const [notification] = mpesa.verifyWebhook(delivery(fake.complete(checkoutRequestId)));
    const confirmed = await mpesa.confirm!(notification!);
    expect(confirmed).toEqual(notification);
  });

  it('turn a forged success into what Daraja says: still processing while the payer has not answered', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    const [claimed] = mpesa.verifyWebhook(delivery(fake.forgedSuccessCallback(checkoutRequestId)));
    expect(claimed).toMatchObject({ status: 'succeeded' });
    const confirmed = await mpesa.confirm!(claimed!);
    expect(confirmed).toMatchObject({
      eventId: `stk:${checkoutRequestId}:processing`,
      providerReference: checkoutRequestId,
      status: 'processing',
      receiptNumber: undefined,
      amount: undefined,
      failure: null,
    });
  });

  it('turn a forged success into what Daraja says: cancelled when the payer cancelled', async () => {
    const checkoutRequestId = await pushTo('+254712341032');
    fake.complete(checkoutRequestId);
    const [claimed] = mpesa.verifyWebhook(delivery(fake.forgedSuccessCallback(checkoutRequestId)));
    expect(await mpesa.confirm!(claimed!)).toMatchObject({
      eventId: `stk:${checkoutRequestId}:1032`,
      status: 'cancelled',
      receiptNumber: undefined,
      failure: { code: '1032', reason: 'Request cancelled by user' },
    });
  });

  it('turn a forged success into a failure when the payment failed', async () => {
    const checkoutRequestId = await pushTo('+254712340001');
    fake.complete(checkoutRequestId);
    const [claimed] = mpesa.verifyWebhook(delivery(fake.forgedSuccessCallback(checkoutRequestId)));
    expect(await mpesa.confirm!(claimed!)).toMatchObject({ status: 'failed', failure: { code: '1' }, receiptNumber: undefined });
  });

  it('leave an STK push whose checkout Daraja does not know unconfirmed', async () => {
    const forged = {
      Body: { stkCallback: { MerchantRequestID: 'm-1', CheckoutRequestID: 'ws_CO_unknown', ResultCode: 0, ResultDesc: 'ok' } },
    };
    const [claimed] = mpesa.verifyWebhook(delivery(forged));
    await expect(mpesa.confirm!(claimed!)).rejects.toThrow(ProviderUnavailable);
  });

  it('retrieve a payment whose callback never came', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    expect(await mpesa.retrieve!(checkoutRequestId)).toMatchObject({
      eventId: `stk:${checkoutRequestId}:processing`,
      eventType: 'stk_push_query',
      object: 'payment',
      providerReference: checkoutRequestId,
      status: 'processing',
    });
    fake.complete(checkoutRequestId);
    expect(await mpesa.retrieve!(checkoutRequestId)).toMatchObject({
      eventId: `stk:${checkoutRequestId}:0`,
      status: 'succeeded',
      failure: null,
    });
    expect(await mpesa.retrieve!('ws_CO_unknown')).toBeNull();
  });

  it('sign the query like the push', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    const wrong = providerFor(fake, { passkey: 'not-the-passkey' });
    await expect(wrong.retrieve!(checkoutRequestId)).rejects.toThrow(/Wrong credentials/);
  });

  it('report Daraja unreachable as ProviderUnavailable', async () => {
    const checkoutRequestId = await pushTo(succeedingPhone);
    const [notification] = mpesa.verifyWebhook(delivery(fake.complete(checkoutRequestId)));
    await fake.close();
    await expect(mpesa.confirm!(notification!)).rejects.toThrow(ProviderUnavailable);
    await expect(mpesa.retrieve!(checkoutRequestId)).rejects.toThrow(ProviderUnavailable);
    fake = await startFakeDaraja({ now }); // for afterEach
  });
});

describe('M-Pesa payouts (B2C)', () => {
  const payoutId = '0195c3a0-7f1e-7000-8000-00000000b2c1';
  const payout = (overrides: { amount?: number; phone?: string } = {}) => ({
    payoutId,
    amount: overrides.amount ?? 2_500_000,
    currency: 'KES',
    destination: { type: 'mpesa' as const, phone: overrides.phone ?? '+254708374149' },
    remarks: 'Owner payout March 2026',
  });

  it('sends a BusinessPayment named by our payout id and reports it processing', async () => {
    const outcome = await mpesa.payout!(payout());
    const [request] = fake.b2cRequests;
    expect(outcome).toEqual({ providerReference: request!.conversationId, status: 'processing', failure: null });
    expect(request!.body).toMatchObject({
      OriginatorConversationID: payoutId,
      InitiatorName: fake.b2c.initiatorName,
      SecurityCredential: fake.b2c.securityCredential,
      CommandID: 'BusinessPayment',
      Amount: 25_000,
      PartyA: fake.b2c.shortcode,
      PartyB: '254708374149',
      Remarks: 'Owner payout March 2026',
      QueueTimeOutURL: `https://tenure.example/v1/webhooks/mpesa/b2c-timeout?token=${callbackToken}`,
      ResultURL: `https://tenure.example/v1/webhooks/mpesa/b2c?token=${callbackToken}`,
    });
    expect(request!.body).toHaveProperty('Occassion');
  });

  it('reads a successful result as a payout notification with its receipt and amount', async () => {
    const { providerReference } = await mpesa.payout!(payout());
    clock = new Date('2026-03-10T10:15:00.000Z');
    const body = fake.completeB2c(payoutId);
    const [notification] = mpesa.verifyWebhook(delivery(body));
    expect(notification).toEqual({
      eventId: `b2c:${providerReference}:0`,
      eventType: 'b2c_result',
      occurredAt: new Date('2026-03-10T10:15:00.000Z'),
      object: 'payout',
      providerReference,
      status: 'succeeded',
      amount: 2_500_000,
      currency: 'KES',
      receiptNumber: body.Result.TransactionID,
      failure: null,
    });
    expect(await mpesa.confirm!(notification!)).toBe(notification);
  });

  it('reads a failed result (a wrong initiator credential fails later, with 2001)', async () => {
    const wrong = providerFor(fake, {
      b2c: { ...fake.b2c, securityCredential: 'wrong', resultUrl: 'https://tenure.example/r', timeoutUrl: 'https://tenure.example/t' },
    });
    const { providerReference, status } = await wrong.payout!(payout());
    expect(status).toBe('processing');
    const [notification] = mpesa.verifyWebhook(delivery(fake.completeB2c(payoutId)));
    expect(notification).toMatchObject({
      eventId: `b2c:${providerReference}:2001`,
      providerReference,
      status: 'failed',
      receiptNumber: undefined,
      failure: { code: '2001', reason: 'The initiator information is invalid.' },
    });
  });

  it('falls back to our OriginatorConversationID when a result names no ConversationID', async () => {
    await mpesa.payout!(payout());
    const body = fake.completeB2c(payoutId, 1);
    const [notification] = mpesa.verifyWebhook(delivery({ Result: { ...body.Result, ConversationID: '' } }));
    expect(notification).toMatchObject({ providerReference: payoutId, status: 'failed', failure: { code: '1' } });
  });

  it('refuses amounts that are not whole shillings and works only with B2C settings', async () => {
    await expect(mpesa.payout!(payout({ amount: 2_500_010 }))).rejects.toThrow(MpesaAmountNotWhole);
    await expect(providerFor(fake, { b2c: undefined }).payout!(payout())).rejects.toThrow(MpesaPayoutsNotConfigured);
    expect(fake.requests).toEqual([]);
  });

  it('reports Daraja unreachable as ProviderUnavailable', async () => {
    await fake.close();
    await expect(mpesa.payout!(payout())).rejects.toThrow(ProviderUnavailable);
    fake = await startFakeDaraja({ now }); // for afterEach
  });
});

describe('M-Pesa refunds', () => {
  it('are not made through Daraja: the payments module refunds by a B2C payout', async () => {
    await expect(
      mpesa.refund({ refundId: 'r-1', paymentReference: 'ws_CO_1', amount: 100, currency: 'KES', reason: 'requested_by_customer' }),
    ).rejects.toThrow(MpesaRefundUnsupported);
  });
});
