import type { Tx } from '../../../platform/db/database.ts';
import { uuidv7 } from '../../../platform/ids.ts';
import { sandboxProcessingSeconds } from '../bank-rails.ts';
import {
  type ChargeOutcome,
  type ChargeRequest,
  type PaymentProvider,
  type PayoutRequest,
  type ProviderFailure,
  type ProviderNotification,
  type ProviderPaymentStatus,
  type RefundRequest,
  type TransferOutcome,
  type WebhookDelivery,
  WebhookRejected,
} from './port.ts';
import { verifySignatureHeader } from './signature.ts';

/**
 * The sandbox: a provider that needs no network, for development, demos and tests. It answers at
 * once like a real provider (`processing`, or a decline), writes down what it will report and
 * when (`sandbox_operation`), and the `payments.sandbox.deliver.v1` job sends each report as a
 * signed webhook through the same route and verification as any provider's. Outcomes follow test
 * values, listed in docs/payments.md:
 *
 * - cards: an amount ending in 02 is declined (`card_declined`), 51 lacks funds
 *   (`insufficient_funds`), 03 needs the customer's authentication first; others succeed after 2 s;
 * - mobile money: a phone number ending in 1032 is cancelled by the customer, 1037 unreachable,
 *   0001 short of funds; others succeed after 5 s with a receipt number;
 * - bank debits take their rail's time (INSTANT 2 s, WIRE 30 s, SAME_DAY_ACH 60 s, STANDARD_ACH
 *   180 s); by ACH an account number ending in 0001 is returned R01 on every attempt, 0002 returned
 *   R01 once, 0009 returned R09 once, 0003 returned R03 (final), 0010 succeeds and is returned R10 a
 *   minute later; wires and instant payments are final: 0003 is refused, nothing is returned;
 * - a refund of an amount ending in 13 fails; a payout to an account ending in 0003 or a phone
 *   ending in 1037 fails.
 *
 * Times are multiplied by SANDBOX_TIME_SCALE; tests move a clock instead of waiting.
 */

export const sandboxSignatureHeader = 'tenure-signature';
const toleranceSeconds = 300;

/** One report the sandbox will send, `afterSeconds` after the operation began (times the time scale). */
export interface ScriptStep {
  afterSeconds: number;
  status: ProviderPaymentStatus;
  failure?: ProviderFailure;
  receiptNumber?: string;
}

export interface SandboxSettings {
  webhookSecrets: readonly string[];
  timeScale: number;
}

const failure = (code: string, reason: string): ProviderFailure => ({ code, reason });
const endsWith = (value: string | undefined, suffix: string) => value?.endsWith(suffix) ?? false;
const receipt = () => `SBX${uuidv7().replaceAll('-', '').slice(-9).toUpperCase()}`;

function cardScript(amount: number): { now: ChargeOutcome['status']; failure?: ProviderFailure; steps: ScriptStep[] } {
  if (amount % 100 === 2) return { now: 'failed', failure: failure('card_declined', 'Your card was declined.'), steps: [] };
  if (amount % 100 === 51) return { now: 'failed', failure: failure('insufficient_funds', 'Your card has insufficient funds.'), steps: [] };
  if (amount % 100 === 3) return { now: 'requires_action', steps: [{ afterSeconds: 5, status: 'succeeded' }] };
  return { now: 'processing', steps: [{ afterSeconds: 2, status: 'succeeded' }] };
}

function mobileMoneyScript(phone: string | undefined): ScriptStep[] {
  if (endsWith(phone, '1032')) return [{ afterSeconds: 5, status: 'cancelled', failure: failure('1032', 'Request cancelled by user') }];
  if (endsWith(phone, '1037'))
    return [{ afterSeconds: 5, status: 'failed', failure: failure('1037', 'DS timeout user cannot be reached') }];
  if (endsWith(phone, '0001'))
    return [{ afterSeconds: 5, status: 'failed', failure: failure('1', 'The balance is insufficient for the transaction') }];
  return [{ afterSeconds: 5, status: 'succeeded', receiptNumber: receipt() }];
}

const returned = (afterSeconds: number, code: string, reason: string): ScriptStep => ({
  afterSeconds,
  status: 'returned',
  failure: failure(code, reason),
});

function bankDebitScript(request: ChargeRequest): ScriptStep[] {
  const seconds = sandboxProcessingSeconds(request.rail ?? 'STANDARD_ACH');
  const account = request.payer.bankAccount?.accountNumber;
  const attempt = request.attempt ?? 1;
  // Wires and instant payments are final once sent: the bank refuses them at once or never returns them.
  if (request.rail === 'WIRE' || request.rail === 'INSTANT') {
    return endsWith(account, '0003')
      ? [{ afterSeconds: seconds, status: 'failed', failure: failure('R03', 'No account / unable to locate account') }]
      : [{ afterSeconds: seconds, status: 'succeeded' }];
  }
  if (endsWith(account, '0001')) return [returned(seconds, 'R01', 'Insufficient funds')];
  if (endsWith(account, '0002') && attempt === 1) return [returned(seconds, 'R01', 'Insufficient funds')];
  if (endsWith(account, '0009') && attempt === 1) return [returned(seconds, 'R09', 'Uncollected funds')];
  if (endsWith(account, '0003')) return [returned(seconds, 'R03', 'No account / unable to locate account')];
  if (endsWith(account, '0010')) {
    return [{ afterSeconds: seconds, status: 'succeeded' }, returned(seconds + 60, 'R10', 'Customer advises not authorized')];
  }
  return [{ afterSeconds: seconds, status: 'succeeded' }];
}

function payoutScript(request: PayoutRequest): ScriptStep[] {
  const { destination } = request;
  if (destination.type === 'mpesa') {
    return endsWith(destination.phone, '1037')
      ? [{ afterSeconds: 5, status: 'failed', failure: failure('1037', 'The receiving party cannot be reached') }]
      : [{ afterSeconds: 5, status: 'succeeded', receiptNumber: receipt() }];
  }
  const seconds = sandboxProcessingSeconds(destination.rail);
  return endsWith(destination.accountNumber, '0003')
    ? [{ afterSeconds: seconds, status: 'failed', failure: failure('R03', 'No account / unable to locate account') }]
    : [{ afterSeconds: seconds, status: 'succeeded' }];
}

/** The sandbox, writing what it will report in the transaction of the call (a rolled-back call leaves nothing). */
export function createSandboxProvider(settings: SandboxSettings, tx: Tx | null): PaymentProvider {
  async function plan(
    object: 'payment' | 'refund' | 'payout',
    reference: string,
    money: { amount: number; currency: string },
    steps: ScriptStep[],
  ): Promise<void> {
    if (steps.length === 0) return;
    if (!tx) throw new Error('The sandbox needs a transaction to take a payment');
    const first = steps[0]!;
    await tx
      .insertInto('sandboxOperation')
      .values({
        id: uuidv7(),
        reference,
        objectType: object,
        script: JSON.stringify(steps),
        amount: money.amount,
        currency: money.currency,
        nextAt: new Date(Date.now() + first.afterSeconds * settings.timeScale * 1000),
      })
      .onConflict((conflict) => conflict.column('reference').doNothing())
      .execute();
  }

  return {
    name: 'sandbox',

    async charge(request: ChargeRequest): Promise<ChargeOutcome> {
      const attempt = request.attempt ?? 1;
      const reference = `sbx_pay_${request.paymentId.replaceAll('-', '')}${attempt > 1 ? `_${attempt}` : ''}`;
      const money = { amount: request.amount, currency: request.currency };
      if (request.method === 'card' || request.method === 'wallet') {
        const script = cardScript(request.amount);
        await plan('payment', reference, money, script.steps);
        const clientAction =
          script.now === 'requires_action'
            ? { type: 'sandbox_authentication', message: 'The sandbox completes the authentication in 5 s' }
            : null;
        return { providerReference: reference, status: script.now, failure: script.failure ?? null, clientAction };
      }
      if (request.method === 'mobile_money') {
        await plan('payment', reference, money, mobileMoneyScript(request.payer.phone));
        return {
          providerReference: reference,
          status: 'processing',
          clientAction: { type: 'mobile_money_prompt', customerMessage: 'Enter your PIN on your phone to pay' },
        };
      }
      await plan('payment', reference, money, bankDebitScript(request));
      return { providerReference: reference, status: 'processing' };
    },

    async refund(request: RefundRequest): Promise<TransferOutcome> {
      const reference = `sbx_ref_${request.refundId.replaceAll('-', '')}`;
      const steps: ScriptStep[] =
        request.amount % 100 === 13
          ? [{ afterSeconds: 2, status: 'failed', failure: failure('refund_failed', 'The refund was refused by the issuer') }]
          : [{ afterSeconds: 2, status: 'succeeded' }];
      await plan('refund', reference, { amount: request.amount, currency: request.currency }, steps);
      return { providerReference: reference, status: 'processing' };
    },

    async payout(request: PayoutRequest): Promise<TransferOutcome> {
      const reference = `sbx_po_${request.payoutId.replaceAll('-', '')}`;
      await plan('payout', reference, { amount: request.amount, currency: request.currency }, payoutScript(request));
      return { providerReference: reference, status: 'processing' };
    },

    async cancel(providerReference: string): Promise<boolean> {
      if (!tx) throw new Error('The sandbox needs a transaction to cancel a payment');
      const operation = await tx
        .selectFrom('sandboxOperation')
        .select(['id', 'delivered', 'script'])
        .where('reference', '=', providerReference)
        .forUpdate()
        .executeTakeFirst();
      if (!operation) return true;
      const script = operation.script as unknown as ScriptStep[];
      const finished = script
        .slice(0, operation.delivered)
        .some((step) => step.status !== 'requires_action' && step.status !== 'processing');
      if (finished) return false;
      await tx.updateTable('sandboxOperation').set({ nextAt: null }).where('id', '=', operation.id).execute();
      return true;
    },

    verifyWebhook(delivery: WebhookDelivery): ProviderNotification[] {
      verifySignatureHeader(delivery.headers[sandboxSignatureHeader], delivery.rawBody, {
        secrets: settings.webhookSecrets,
        now: delivery.now,
        toleranceSeconds,
      });
      return [parseSandboxEvent(delivery.rawBody)];
    },
  };
}

/** The JSON the sandbox posts: `{ id, type, created, data: { object, reference, status, amount, currency, failure?, receiptNumber? } }`. */
export interface SandboxEvent {
  id: string;
  type: string;
  created: number;
  data: {
    object: 'payment' | 'refund' | 'payout';
    reference: string;
    status: ProviderPaymentStatus;
    amount: number;
    currency: string;
    failure?: ProviderFailure | null;
    receiptNumber?: string | null;
  };
}

const objects = new Set(['payment', 'refund', 'payout']);
const statuses = new Set(['pending', 'requires_action', 'processing', 'succeeded', 'failed', 'cancelled', 'returned']);

function parseSandboxEvent(rawBody: Buffer): ProviderNotification {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookRejected('payload_invalid', 'The body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new WebhookRejected('payload_invalid', 'The body is not a sandbox event');
  const event = parsed as SandboxEvent;
  const data = event.data as SandboxEvent['data'] | undefined;
  if (
    typeof event.id !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.created !== 'number' ||
    typeof data !== 'object' ||
    !objects.has(data.object) ||
    !statuses.has(data.status) ||
    typeof data.reference !== 'string' ||
    !Number.isSafeInteger(data.amount) ||
    typeof data.currency !== 'string'
  ) {
    throw new WebhookRejected('payload_invalid', 'The body is not a sandbox event');
  }
  return {
    eventId: event.id,
    eventType: event.type,
    occurredAt: new Date(event.created * 1000),
    object: data.object,
    providerReference: data.reference,
    status: data.status,
    amount: data.amount,
    currency: data.currency,
    receiptNumber: data.receiptNumber ?? undefined,
    failure: data.failure ?? null,
  };
}
