import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Temporal } from 'temporal-polyfill';

/**
 * A local Safaricom Daraja on loopback speaking the documented protocol: the OAuth
 * client-credentials token, STK push (Lipa na M-Pesa Online), the STK push query and B2C v3
 * payment requests. It checks what Daraja checks — the Basic credentials on the token endpoint, a
 * live Bearer token on every API call, the STK `Password` recomputed from the passkey it knows and
 * the request's `Timestamp`, and each field's format — and answers refusals with Daraja's own
 * `{requestId, errorCode, errorMessage}` payloads. Each STK request keeps its state, so the query
 * says "being processed" until a test settles it, then its final result.
 *
 * Nothing is posted back: `complete` and `completeB2c` settle a request and return the callback
 * body exactly as Daraja would post it, for the test to deliver.
 *
 * What an STK push ends with follows the phone number: …1032 the user cancels, …1037 the phone is
 * unreachable, …0001 the balance is insufficient (ResultCode 1), anything else succeeds.
 */
export interface FakeDaraja {
  /** `http://127.0.0.1:<port>`, the MPESA_API_URL to give the adapter. */
  apiUrl: string;
  consumerKey: string;
  consumerSecret: string;
  shortcode: string;
  passkey: string;
  b2c: { shortcode: string; initiatorName: string; securityCredential: string };
  /** Every STK push accepted, in order. */
  stkRequests: FakeStkRequest[];
  /** Every B2C payment request accepted, in order. */
  b2cRequests: FakeB2cRequest[];
  /** Every request received: method, path and the HTTP status answered. */
  requests: { method: string; path: string; status: number; errorCode?: string }[];
  /** How many times the token endpoint was called. */
  readonly tokenFetches: number;
  /** Settles a pending STK push (with its phone number's outcome unless a code is given) and returns the callback Daraja posts. */
  complete(checkoutRequestId: string, resultCode?: number): StkCallbackBody;
  /** A callback claiming that the STK push succeeded, which the query does not confirm (the push stays as it is). */
  forgedSuccessCallback(checkoutRequestId: string): StkCallbackBody;
  /** Settles a B2C payment (0 unless told; 2001 when its initiator or credential was wrong) and returns the result Daraja posts. */
  completeB2c(originatorConversationId: string, resultCode?: number): B2cResultBody;
  /** Revokes every token issued, as if they had all expired. */
  expireTokens(): void;
  close(): Promise<void>;
}

export interface FakeStkRequest {
  checkoutRequestId: string;
  merchantRequestId: string;
  /** The request body as received. */
  body: Record<string, unknown>;
  /** Whole shillings. */
  amount: number;
  phone: string;
  accountReference: string;
  callbackUrl: string;
  /** Null while the customer has not answered the prompt. */
  result: { code: number; description: string; receiptNumber: string | null; transactionDate: number | null } | null;
}

export interface FakeB2cRequest {
  originatorConversationId: string;
  conversationId: string;
  body: Record<string, unknown>;
  amount: number;
  phone: string;
  resultUrl: string;
  queueTimeOutUrl: string;
  /** False when InitiatorName or SecurityCredential did not match: Daraja accepts such a request and fails it later (2001). */
  credentialsValid: boolean;
  result: { code: number; description: string; transactionId: string } | null;
}

export interface StkCallbackBody {
  Body: {
    stkCallback: {
      MerchantRequestID: string;
      CheckoutRequestID: string;
      ResultCode: number;
      ResultDesc: string;
      CallbackMetadata?: { Item: { Name: string; Value: string | number }[] };
    };
  };
}

export interface B2cResultBody {
  Result: {
    ResultType: number;
    ResultCode: number;
    ResultDesc: string;
    OriginatorConversationID: string;
    ConversationID: string;
    TransactionID: string;
    ResultParameters?: { ResultParameter: { Key: string; Value: string | number }[] };
    ReferenceData: { ReferenceItem: { Key: string; Value: string } };
  };
}

export interface FakeDarajaOptions {
  consumerKey?: string;
  consumerSecret?: string;
  shortcode?: string;
  passkey?: string;
  b2c?: { shortcode?: string; initiatorName?: string; securityCredential?: string };
  /** The `expires_in` of issued tokens (Daraja's: 3599). */
  tokenTtlSeconds?: number;
  /** The HTTP status of an "Invalid Access Token" answer: 401, or 404 as some integrators report. */
  invalidTokenStatus?: 401 | 404;
  /** The fake's clock, for token expiry, the Timestamp check and TransactionDate. */
  now?: () => Date;
  /**
   * How far a `Timestamp` may be from the fake's clock in Nairobi time. Daraja's own tolerance is
   * undocumented; this check of ours catches a timestamp written in another time zone.
   */
  timestampToleranceSeconds?: number;
}

const stkResultDescriptions: Record<number, string> = {
  0: 'The service request is processed successfully.',
  1: 'The balance is insufficient for the transaction.',
  1019: 'Transaction has expired',
  1032: 'Request cancelled by user',
  1037: 'DS timeout user cannot be reached',
  2001: 'The initiator information is invalid.',
};

const b2cResultDescriptions: Record<number, string> = {
  0: 'The service request is processed successfully.',
  1: 'The balance is insufficient for the transaction.',
  2001: 'The initiator information is invalid.',
  2040: "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
};

class DarajaError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (field: string) => new DarajaError(400, '400.002.02', `Bad Request - Invalid ${field}`);

export async function startFakeDaraja(options: FakeDarajaOptions = {}): Promise<FakeDaraja> {
  const consumerKey = options.consumerKey ?? 'fake-daraja-consumer-key';
  const consumerSecret = options.consumerSecret ?? 'fake-daraja-consumer-secret';
  const shortcode = options.shortcode ?? '174379';
  const passkey = options.passkey ?? 'bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919';
  const b2c = {
    shortcode: options.b2c?.shortcode ?? '600996',
    initiatorName: options.b2c?.initiatorName ?? 'testapi',
    securityCredential: options.b2c?.securityCredential ?? 'ZmFrZS1zZWN1cml0eS1jcmVkZW50aWFs',
  };
  const tokenTtlSeconds = options.tokenTtlSeconds ?? 3599;
  const invalidTokenStatus = options.invalidTokenStatus ?? 401;
  const now = options.now ?? (() => new Date());
  const toleranceMs = (options.timestampToleranceSeconds ?? 900) * 1000;

  const tokens = new Map<string, number>();
  const receipts = new Set<string>();
  const stkRequests: FakeStkRequest[] = [];
  const b2cRequests: FakeB2cRequest[] = [];
  const requests: FakeDaraja['requests'] = [];
  let tokenFetches = 0;

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const [path, rawQuery = ''] = (request.url ?? '/').split('?', 2) as [string, string?];
    try {
      const raw = await readBody(request);
      const answer = route(method, path, new URLSearchParams(rawQuery), request, raw);
      requests.push({ method, path, status: 200 });
      sendJson(response, 200, answer);
    } catch (error) {
      const darajaError =
        error instanceof DarajaError ? error : new DarajaError(500, '500.003.02', error instanceof Error ? error.message : String(error));
      requests.push({ method, path, status: darajaError.status, errorCode: darajaError.errorCode });
      sendJson(response, darajaError.status, {
        requestId: requestId(),
        errorCode: darajaError.errorCode,
        errorMessage: darajaError.message,
      });
    }
  }

  function route(method: string, path: string, query: URLSearchParams, request: IncomingMessage, raw: Buffer): Record<string, unknown> {
    if (path === '/oauth/v1/generate' && method === 'GET') return issueToken(query, request);
    const routes: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
      '/mpesa/stkpush/v1/processrequest': stkPush,
      '/mpesa/stkpushquery/v1/query': stkQuery,
      '/mpesa/b2c/v3/paymentrequest': b2cPayment,
    };
    const handler = routes[path];
    if (!handler) throw new DarajaError(404, '404.001.01', 'Resource not found');
    if (method !== 'POST') throw new DarajaError(405, '405.001.01', 'Method not allowed');
    checkBearer(request);
    return handler(jsonBody(raw));
  }

  function issueToken(query: URLSearchParams, request: IncomingMessage): Record<string, unknown> {
    tokenFetches += 1;
    const expected = `Basic ${Buffer.from(`${consumerKey}:${consumerSecret}`, 'utf8').toString('base64')}`;
    if (request.headers.authorization !== expected) throw new DarajaError(400, '400.008.01', 'Invalid Authentication passed');
    if (query.get('grant_type') !== 'client_credentials') throw new DarajaError(400, '400.008.02', 'Invalid grant type passed');
    const token = randomBytes(21).toString('base64url').slice(0, 28);
    tokens.set(token, now().getTime() + tokenTtlSeconds * 1000);
    return { access_token: token, expires_in: String(tokenTtlSeconds) };
  }

  function checkBearer(request: IncomingMessage): void {
    const match = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '');
    if (!match) throw new DarajaError(invalidTokenStatus, '404.001.04', 'Invalid Authentication Header');
    const expiresAt = tokens.get(match[1]!);
    if (expiresAt === undefined || expiresAt <= now().getTime())
      throw new DarajaError(invalidTokenStatus, '404.001.03', 'Invalid Access Token');
  }

  /** BusinessShortCode, Timestamp and Password, as the STK push and its query both carry them. */
  function checkStkCredentials(body: Record<string, unknown>): void {
    if (digits(body.BusinessShortCode) !== shortcode) throw invalid('BusinessShortCode');
    const timestamp = body.Timestamp;
    if (typeof timestamp !== 'string' || !isTimestampNear(timestamp)) throw invalid('Timestamp');
    const expected = Buffer.from(`${shortcode}${passkey}${timestamp}`, 'utf8').toString('base64');
    if (body.Password !== expected) throw new DarajaError(500, '500.001.1001', 'Wrong credentials');
  }

  function isTimestampNear(timestamp: string): boolean {
    const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(timestamp);
    if (!match) return false;
    const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
    try {
      const at = Temporal.PlainDateTime.from({ year, month, day, hour, minute, second }, { overflow: 'reject' }).toZonedDateTime(
        'Africa/Nairobi',
      );
      return Math.abs(at.epochMilliseconds - now().getTime()) <= toleranceMs;
    } catch {
      return false;
    }
  }

  function stkPush(body: Record<string, unknown>): Record<string, unknown> {
    checkStkCredentials(body);
    if (body.TransactionType !== 'CustomerPayBillOnline' && body.TransactionType !== 'CustomerBuyGoodsOnline')
      throw invalid('TransactionType');
    const amount = positiveInteger(body.Amount);
    if (amount === undefined) throw invalid('Amount');
    const partyA = digits(body.PartyA);
    if (partyA === undefined || !isMsisdn(partyA)) throw invalid('PartyA');
    if (digits(body.PartyB) === undefined) throw invalid('PartyB');
    const phone = digits(body.PhoneNumber);
    if (phone === undefined || !isMsisdn(phone)) throw invalid('PhoneNumber');
    if (typeof body.CallBackURL !== 'string' || !URL.canParse(body.CallBackURL)) throw invalid('CallBackURL');
    const reference = body.AccountReference;
    if (typeof reference !== 'string' || reference === '' || reference.length > 12) throw invalid('AccountReference');
    if (typeof body.TransactionDesc !== 'string' || body.TransactionDesc === '') throw invalid('TransactionDesc');

    const stk: FakeStkRequest = {
      checkoutRequestId: checkoutRequestIdFor(phone),
      merchantRequestId: `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${randomInt(100_000, 1_000_000)}`,
      body,
      amount,
      phone,
      accountReference: reference,
      callbackUrl: body.CallBackURL,
      result: null,
    };
    stkRequests.push(stk);
    return {
      MerchantRequestID: stk.merchantRequestId,
      CheckoutRequestID: stk.checkoutRequestId,
      ResponseCode: '0',
      ResponseDescription: 'Success. Request accepted for processing',
      CustomerMessage: 'Success. Request accepted for processing',
    };
  }

  function stkQuery(body: Record<string, unknown>): Record<string, unknown> {
    checkStkCredentials(body);
    const stk = stkRequests.find((candidate) => candidate.checkoutRequestId === body.CheckoutRequestID);
    if (!stk) throw invalid('CheckoutRequestID');
    if (!stk.result) throw new DarajaError(500, '500.001.1001', 'The transaction is being processed');
    return {
      ResponseCode: '0',
      ResponseDescription: 'The service request has been accepted successsfully',
      MerchantRequestID: stk.merchantRequestId,
      CheckoutRequestID: stk.checkoutRequestId,
      ResultCode: String(stk.result.code),
      ResultDesc: stk.result.description,
    };
  }

  function b2cPayment(body: Record<string, unknown>): Record<string, unknown> {
    const originatorConversationId = body.OriginatorConversationID;
    if (typeof originatorConversationId !== 'string' || originatorConversationId === '') throw invalid('OriginatorConversationID');
    if (typeof body.InitiatorName !== 'string' || body.InitiatorName === '') throw invalid('InitiatorName');
    if (typeof body.SecurityCredential !== 'string' || body.SecurityCredential === '') throw invalid('SecurityCredential');
    if (!['SalaryPayment', 'BusinessPayment', 'PromotionPayment'].includes(String(body.CommandID))) throw invalid('CommandID');
    const amount = positiveInteger(body.Amount);
    if (amount === undefined) throw invalid('Amount');
    if (digits(body.PartyA) !== b2c.shortcode) throw invalid('PartyA');
    const phone = digits(body.PartyB);
    if (phone === undefined || !isMsisdn(phone)) throw invalid('PartyB');
    if (typeof body.Remarks !== 'string' || body.Remarks.length < 2 || body.Remarks.length > 100) throw invalid('Remarks');
    if (typeof body.QueueTimeOutURL !== 'string' || !URL.canParse(body.QueueTimeOutURL)) throw invalid('QueueTimeOutURL');
    if (typeof body.ResultURL !== 'string' || !URL.canParse(body.ResultURL)) throw invalid('ResultURL');

    const payment: FakeB2cRequest = {
      originatorConversationId,
      conversationId: `AG_${darajaTimestamp(now()).slice(0, 8)}_${hex(20)}`,
      body,
      amount,
      phone,
      resultUrl: body.ResultURL,
      queueTimeOutUrl: body.QueueTimeOutURL,
      credentialsValid: body.InitiatorName === b2c.initiatorName && body.SecurityCredential === b2c.securityCredential,
      result: null,
    };
    b2cRequests.push(payment);
    return {
      ConversationID: payment.conversationId,
      OriginatorConversationID: originatorConversationId,
      ResponseCode: '0',
      ResponseDescription: 'Accept the service request successfully.',
    };
  }

  function checkoutRequestIdFor(phone: string): string {
    const at = darajaTimestamp(now());
    // ws_CO_ + DDMMYYYY + HHMMSS + milliseconds + the number without 254, as Daraja writes them.
    const base = `ws_CO_${at.slice(6, 8)}${at.slice(4, 6)}${at.slice(0, 4)}${at.slice(8)}${String(now().getMilliseconds()).padStart(3, '0')}${phone.slice(3)}`;
    let id = base;
    for (let sequence = 1; stkRequests.some((stk) => stk.checkoutRequestId === id); sequence += 1) id = `${base}${sequence}`;
    return id;
  }

  function receiptNumber(): string {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const alphabet = `${letters}0123456789`;
    for (;;) {
      let receipt = letters[randomInt(letters.length)]!;
      for (let i = 1; i < 10; i += 1) receipt += alphabet[randomInt(alphabet.length)]!;
      if (!receipts.has(receipt)) {
        receipts.add(receipt);
        return receipt;
      }
    }
  }

  function stkCallback(stk: FakeStkRequest, result: NonNullable<FakeStkRequest['result']>): StkCallbackBody {
    const callback: StkCallbackBody['Body']['stkCallback'] = {
      MerchantRequestID: stk.merchantRequestId,
      CheckoutRequestID: stk.checkoutRequestId,
      ResultCode: result.code,
      ResultDesc: result.description,
    };
    if (result.code === 0) {
      callback.CallbackMetadata = {
        Item: [
          { Name: 'Amount', Value: stk.amount },
          { Name: 'MpesaReceiptNumber', Value: result.receiptNumber! },
          { Name: 'TransactionDate', Value: result.transactionDate! },
          { Name: 'PhoneNumber', Value: Number(stk.phone) },
        ],
      };
    }
    return { Body: { stkCallback: callback } };
  }

  function findStk(checkoutRequestId: string): FakeStkRequest {
    const stk = stkRequests.find((candidate) => candidate.checkoutRequestId === checkoutRequestId);
    if (!stk) throw new Error(`The fake Daraja has no STK push ${checkoutRequestId}`);
    return stk;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    consumerKey,
    consumerSecret,
    shortcode,
    passkey,
    b2c,
    stkRequests,
    b2cRequests,
    requests,
    get tokenFetches() {
      return tokenFetches;
    },
    complete(checkoutRequestId, resultCode) {
      const stk = findStk(checkoutRequestId);
      if (stk.result) throw new Error(`STK push ${checkoutRequestId} is already settled`);
      const code = resultCode ?? outcomeOfPhone(stk.phone);
      stk.result = {
        code,
        description: stkResultDescriptions[code] ?? 'The service request has failed',
        receiptNumber: code === 0 ? receiptNumber() : null,
        transactionDate: code === 0 ? Number(darajaTimestamp(now())) : null,
      };
      return stkCallback(stk, stk.result);
    },
    forgedSuccessCallback(checkoutRequestId) {
      const stk = findStk(checkoutRequestId);
      return stkCallback(stk, {
        code: 0,
        description: stkResultDescriptions[0]!,
        receiptNumber: receiptNumber(),
        transactionDate: Number(darajaTimestamp(now())),
      });
    },
    completeB2c(originatorConversationId, resultCode) {
      const payment = b2cRequests.findLast((candidate) => candidate.originatorConversationId === originatorConversationId);
      if (!payment) throw new Error(`The fake Daraja has no B2C payment ${originatorConversationId}`);
      if (payment.result) throw new Error(`B2C payment ${originatorConversationId} is already settled`);
      const code = resultCode ?? (payment.credentialsValid ? 0 : 2001);
      payment.result = {
        code,
        description: b2cResultDescriptions[code] ?? 'The service request has failed',
        transactionId: receiptNumber(),
      };
      const result: B2cResultBody['Result'] = {
        ResultType: 0,
        ResultCode: code,
        ResultDesc: payment.result.description,
        OriginatorConversationID: payment.originatorConversationId,
        ConversationID: payment.conversationId,
        TransactionID: payment.result.transactionId,
        ReferenceData: {
          ReferenceItem: { Key: 'QueueTimeoutURL', Value: 'https://internalsandbox.safaricom.co.ke/mpesa/b2cresults/v1/submit' },
        },
      };
      if (code === 0) {
        const completedAt = darajaTimestamp(now());
        result.ResultParameters = {
          ResultParameter: [
            { Key: 'TransactionAmount', Value: payment.amount },
            { Key: 'TransactionReceipt', Value: payment.result.transactionId },
            { Key: 'B2CRecipientIsRegisteredCustomer', Value: 'Y' },
            { Key: 'B2CChargesPaidAccountAvailableFunds', Value: -4510.0 },
            { Key: 'ReceiverPartyPublicName', Value: `${payment.phone} - John Doe` },
            {
              Key: 'TransactionCompletedDateTime',
              Value: `${completedAt.slice(6, 8)}.${completedAt.slice(4, 6)}.${completedAt.slice(0, 4)} ${completedAt.slice(8, 10)}:${completedAt.slice(10, 12)}:${completedAt.slice(12)}`,
            },
            { Key: 'B2CUtilityAccountAvailableFunds', Value: 10116.0 },
            { Key: 'B2CWorkingAccountAvailableFunds', Value: 900000.0 },
          ],
        };
      }
      return { Result: result };
    },
    expireTokens() {
      tokens.clear();
    },
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function outcomeOfPhone(phone: string): number {
  if (phone.endsWith('1032')) return 1032;
  if (phone.endsWith('1037')) return 1037;
  if (phone.endsWith('0001')) return 1;
  return 0;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function jsonBody(raw: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new DarajaError(400, '400.002.05', 'Invalid Request Payload');
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

/** Daraja takes numeric fields as numbers or strings of digits. */
function digits(value: unknown): string | undefined {
  const text = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
  return typeof text === 'string' && /^\d+$/.test(text) ? text : undefined;
}

function positiveInteger(value: unknown): number | undefined {
  const text = digits(value);
  const amount = text === undefined ? undefined : Number(text);
  return amount !== undefined && amount > 0 ? amount : undefined;
}

function isMsisdn(phone: string): boolean {
  return /^254[17]\d{8}$/.test(phone);
}

function darajaTimestamp(at: Date): string {
  const time = Temporal.Instant.fromEpochMilliseconds(at.getTime()).toZonedDateTimeISO('Africa/Nairobi');
  const two = (value: number) => String(value).padStart(2, '0');
  return `${time.year}${two(time.month)}${two(time.day)}${two(time.hour)}${two(time.minute)}${two(time.second)}`;
}

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

function requestId(): string {
  return `${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}${randomInt(100_000, 1_000_000)}`;
}
