import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { postCapture, postReturn } from './accounting.ts';
import { mayRetry } from './bank-rails.ts';
import { settleBookingPayment } from './booking-payments.ts';
import type { PaymentsContext } from './context.ts';
import { recordPaymentChange } from './history.ts';
import { moneyRules } from './settings.ts';
import type { ProviderFailure, ProviderPaymentStatus } from './providers/port.ts';
import { releaseEscrow } from './escrow.ts';
import { startRefund } from './refunds.ts';
import { canMove, type PaymentStatus } from './state-machine.ts';
import { type PaymentChange, type PaymentRow, rememberProviderReference } from './store.ts';
import { chargeRequestOf } from './charge-request.ts';

/**
 * What a provider says of a payment — the answer to our call, or a webhook later — applied to the
 * locked payment. Reports that would move it backwards (a late `processing` after `succeeded`) or
 * repeat its status change nothing, so duplicated and reordered deliveries finalise it once.
 */
export interface PaymentReport {
  status: ProviderPaymentStatus;
  failure?: ProviderFailure | null | undefined;
  receiptNumber?: string | undefined;
  clientAction?: Record<string, unknown> | null | undefined;
  /** The provider reporting it (the event's actor), when it is a provider's report. */
  provider?: string | undefined;
  eventType?: string | undefined;
}

const finalStatuses = new Set<PaymentStatus>(['succeeded', 'failed', 'cancelled', 'returned']);

export async function applyPaymentReport(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  report: PaymentReport,
  context: PaymentsContext,
): Promise<{ payment: PaymentRow; applied: boolean }> {
  const data = report.eventType ? { providerEvent: report.eventType } : {};
  if (report.status === 'returned' && payment.status !== 'succeeded') {
    if (finalStatuses.has(payment.status)) return { payment, applied: false };
    return { payment: await retryOrFail(tx, caller, payment, report, context), applied: true };
  }
  if (report.status === payment.status && report.failure && report.failure.code !== payment.failureCode) {
    // Still waiting for the customer, who tried and failed: the decline is recorded, the payment stays open.
    const updated = await recordPaymentChange(
      tx,
      caller,
      payment,
      { failureCode: report.failure.code, failureReason: report.failure.reason },
      { type: 'attempt_failed', provider: report.provider, reason: report.failure.reason, data },
    );
    return { payment: updated, applied: true };
  }
  if (report.status === payment.status || !canMove(payment.status, report.status)) return { payment, applied: false };

  const to = report.status;
  const change: PaymentChange = { status: to };
  if (report.failure) Object.assign(change, { failureCode: report.failure.code, failureReason: report.failure.reason });
  if (report.receiptNumber && !payment.receiptNumber) change.receiptNumber = report.receiptNumber;
  if (report.clientAction !== undefined) change.clientAction = report.clientAction === null ? null : JSON.stringify(report.clientAction);
  if (finalStatuses.has(to)) change.clientAction = null;
  // An earlier declined attempt stays in the history, not on a payment that succeeded.
  if (to === 'succeeded') Object.assign(change, { succeededAt: new Date(), failureCode: null, failureReason: null });
  let updated = await recordPaymentChange(tx, caller, payment, change, {
    type: to,
    provider: report.provider,
    reason: report.failure?.reason ?? null,
    data: { ...data, ...(report.failure ? { failureCode: report.failure.code } : {}) },
  });
  if (to === 'succeeded') updated = await settle(tx, caller, updated, context);
  if (to === 'returned') updated = await recordReturn(tx, caller, updated, report);
  return { payment: updated, applied: true };
}

/**
 * A bank debit returned before it settled: R01 and R09 are submitted again, at most twice; any
 * other code, or a third return, fails the payment.
 */
async function retryOrFail(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  report: PaymentReport,
  context: PaymentsContext,
): Promise<PaymentRow> {
  const code = report.failure?.code ?? 'returned';
  const reason = report.failure?.reason ?? 'Returned by the bank';
  if (!mayRetry(code, payment.retryCount)) {
    return recordPaymentChange(
      tx,
      caller,
      payment,
      { status: 'failed', failureCode: code, failureReason: reason, clientAction: null },
      { type: 'failed', provider: report.provider, reason, data: { returnCode: code, attempts: payment.retryCount + 1 } },
    );
  }
  const attempt = payment.retryCount + 2;
  const provider = context.providers.get(payment.provider, tx);
  const outcome = await provider.charge(await chargeRequestOf(tx, payment, context, { attempt }));
  await rememberProviderReference(tx, {
    provider: payment.provider,
    reference: outcome.providerReference,
    orgId: payment.orgId,
    objectType: 'payment',
    objectId: payment.id,
  });
  return recordPaymentChange(
    tx,
    caller,
    payment,
    { retryCount: payment.retryCount + 1, providerReference: outcome.providerReference, failureCode: code, failureReason: reason },
    { type: 'retried', provider: report.provider, reason, data: { returnCode: code, attempt }, publish: 'payment.retried' },
  );
}

/** Succeeded: the ledger records the money, and a booking payment confirms its booking and waits in escrow. */
async function settle(tx: Tx, caller: Caller, payment: PaymentRow, context: PaymentsContext): Promise<PaymentRow> {
  await postCapture(tx, caller, payment);
  if (payment.purpose !== 'booking') return payment;
  const settlement = await settleBookingPayment(tx, caller, payment);
  const checkedInAt = settlement.booking?.checkedInAt ?? null;
  const graceHours = checkedInAt ? (await moneyRules(tx, payment.orgId, context)).escrowReleaseGraceHours : 0;
  const change: PaymentChange = {
    escrowStatus: 'held',
    escrowReleaseDueAt: checkedInAt ? new Date(checkedInAt.getTime() + graceHours * 3_600_000) : null,
  };
  if (settlement.outcome === 'lapsed' || settlement.outcome === 'duplicate') {
    change.attention = settlement.outcome === 'lapsed' ? 'booking_not_confirmable' : 'duplicate_booking_payment';
  }
  const held = await recordPaymentChange(tx, caller, payment, change, {
    type: 'escrow_held',
    data: { booking: settlement.outcome, ...('detail' in settlement ? { detail: settlement.detail } : {}) },
    ...(change.attention ? { publish: 'payment.needs_attention' } : {}),
  });
  if (settlement.outcome !== 'lapsed' && settlement.outcome !== 'duplicate') return held;
  const booking = settlement.booking;
  if (settlement.outcome === 'lapsed' && booking?.status === 'cancelled' && booking.refundAmount !== null) {
    // Cancelled under its policy while this payment was on its way: the policy's refund, and the penalty released.
    let payment = held;
    const refund = Math.min(booking.refundAmount, held.amount);
    if (refund > 0) {
      payment = (await startRefund(tx, caller, held, { amount: refund, reason: 'cancellation', note: settlement.detail }, context)).payment;
    }
    return releaseEscrow(tx, caller, payment, context, 'booking cancelled: the penalty goes to the owner');
  }
  const refunded = await startRefund(
    tx,
    caller,
    held,
    {
      amount: held.amount,
      reason: settlement.outcome === 'lapsed' ? 'booking_lapsed' : 'duplicate',
      note: settlement.detail,
    },
    context,
  );
  return refunded.payment;
}

async function recordReturn(tx: Tx, caller: Caller, payment: PaymentRow, report: PaymentReport): Promise<PaymentRow> {
  const reason = `${report.failure?.code ?? 'returned'}: ${report.failure?.reason ?? 'returned by the bank'}`;
  await postReturn(tx, caller, payment, reason);
  if (payment.escrowStatus !== 'held') return payment;
  return recordPaymentChange(
    tx,
    caller,
    payment,
    { escrowStatus: 'refunded', escrowReleaseDueAt: null },
    { type: 'escrow_returned', reason },
  );
}
