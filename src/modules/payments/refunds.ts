import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Refund } from '../../platform/db/schema.ts';
import { uuidv7 } from '../../platform/ids.ts';
import {
  postEscrowReleaseOf,
  postRefundFailedAfterReturn,
  postRefundReserved,
  postRefundSettled,
  refundReservedFromEscrow,
  reverseSourceEntry,
} from './accounting.ts';
import type { PaymentsContext } from './context.ts';
import { paymentErrors } from './errors.ts';
import { recordPaymentChange } from './history.ts';
import { moneyRules } from './settings.ts';
import { MpesaRefundUnsupported } from './providers/mpesa.ts';
import { type ProviderFailure, ProviderUnavailable, type TransferOutcome } from './providers/port.ts';
import { canMoveTransfer, type TransferStatus } from './state-machine.ts';
import { type PaymentRow, paymentById, rememberProviderReference } from './store.ts';

/**
 * Refunds: money back to the payer of a succeeded payment, through the provider it came by (cash
 * back over the counter for cash and cheques). A refund reserves its amount on the payment
 * (`refunded_amount`, never above the amount) and in the ledger (refunds payable) when it starts;
 * it succeeds or fails on the provider's word, and a failed one gives both back.
 */

export type RefundReason = 'cancellation' | 'booking_lapsed' | 'requested_by_customer' | 'duplicate' | 'fraudulent' | 'other';
export type RefundRow = Omit<Selectable<Refund>, 'status' | 'reason'> & { status: TransferStatus; reason: RefundReason };

const source = 'payments';

export function refundView(row: RefundRow) {
  return {
    id: row.id,
    organizationId: row.orgId,
    paymentId: row.paymentId,
    bookingId: row.bookingId,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    note: row.note,
    status: row.status,
    provider: row.provider,
    providerReference: row.providerReference,
    failureReason: row.failureReason,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    settledAt: row.settledAt?.toISOString() ?? null,
  };
}

function eventData(row: RefundRow, payment: PaymentRow): Record<string, unknown> {
  return {
    refundId: row.id,
    paymentId: row.paymentId,
    bookingId: row.bookingId,
    invoiceId: payment.invoiceId,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    status: row.status,
  };
}

export async function refundById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<RefundRow | undefined> {
  let query = db.selectFrom('refund').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst()) as RefundRow | undefined;
}

export async function refundsOfPayment(db: Queryable, paymentId: string): Promise<RefundRow[]> {
  return (await db.selectFrom('refund').selectAll().where('paymentId', '=', paymentId).orderBy('createdAt').execute()) as RefundRow[];
}

async function updateRefund(tx: Tx, id: string, change: Partial<Selectable<Refund>>): Promise<RefundRow> {
  return (await tx
    .updateTable('refund')
    .set({ ...change, updatedAt: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as RefundRow;
}

export interface RefundInput {
  amount: number;
  reason: RefundReason;
  note?: string | null | undefined;
  idempotencyKey?: string | undefined;
}

/**
 * Starts a refund of a locked, succeeded payment: reserves it, asks the provider, applies the answer.
 * An automatic refund (a cancellation's, a lapsed booking's) happens once per payment and reason.
 */
export async function startRefund(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  input: RefundInput,
  context: PaymentsContext,
): Promise<{ refund: RefundRow; payment: PaymentRow }> {
  if (payment.status !== 'succeeded') {
    throw paymentErrors.raise('not_refundable', `Only a succeeded payment is refunded; this one is ${payment.status}`);
  }
  const remaining = payment.amount - payment.refundedAmount;
  if (!Number.isSafeInteger(input.amount) || input.amount <= 0 || input.amount > remaining) {
    throw paymentErrors.raise('refund_exceeds_payment', `${remaining} ${payment.currency} of the payment remain to refund`);
  }
  const refund = (await tx
    .insertInto('refund')
    .values({
      id: uuidv7(),
      orgId: payment.orgId,
      paymentId: payment.id,
      bookingId: payment.bookingId,
      amount: input.amount,
      currency: payment.currency,
      reason: input.reason,
      note: input.note ?? null,
      status: 'pending',
      provider: payment.provider,
      idempotencyKey: input.idempotencyKey ?? null,
      createdBy: caller.userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as RefundRow;
  await postRefundReserved(tx, caller, payment, refund);
  let updatedPayment = await recordPaymentChange(
    tx,
    caller,
    payment,
    { refundedAmount: payment.refundedAmount + refund.amount },
    {
      type: 'refund_started',
      reason: input.note ?? input.reason,
      data: { refundId: refund.id, amount: refund.amount, reason: input.reason },
    },
  );
  await recordChange(tx, caller, {
    orgId: refund.orgId,
    action: 'REFUND',
    entityType: 'refund',
    entityId: refund.id,
    after: refundView(refund),
    event: { type: 'refund.created', source, data: eventData(refund, updatedPayment) },
  });

  const outcome = await askProvider(tx, updatedPayment, refund, context);
  let current = refund;
  if (outcome.providerReference) {
    await rememberProviderReference(tx, {
      provider: payment.provider,
      reference: outcome.providerReference,
      orgId: refund.orgId,
      objectType: 'refund',
      objectId: refund.id,
    });
    current = await updateRefund(tx, refund.id, { providerReference: outcome.providerReference });
  }
  const applied = await applyRefundReport(tx, caller, current, { status: outcome.status, failure: outcome.failure ?? null }, context);
  updatedPayment = applied.payment ?? (await paymentById(tx, payment.id))!;
  return { refund: applied.refund, payment: updatedPayment };
}

async function askProvider(
  tx: Tx,
  payment: PaymentRow,
  refund: RefundRow,
  context: PaymentsContext,
): Promise<Partial<TransferOutcome> & { status: TransferStatus }> {
  if (payment.provider === 'manual') return { status: 'succeeded' };
  const provider = context.providers.get(payment.provider, tx);
  const request = {
    refundId: refund.id,
    paymentReference: payment.providerReference ?? payment.id,
    amount: refund.amount,
    currency: refund.currency,
    reason: refund.reason,
  };
  try {
    return await provider.refund(request);
  } catch (error) {
    if (error instanceof ProviderUnavailable) throw paymentErrors.raise('provider_unavailable', error.message);
    if (error instanceof MpesaRefundUnsupported && provider.payout && payment.payerPhone) {
      return provider.payout({
        payoutId: refund.id,
        amount: refund.amount,
        currency: refund.currency,
        destination: { type: 'mpesa', phone: payment.payerPhone },
        remarks: `Refund ${refund.id.slice(0, 8)}`,
      });
    }
    if (error instanceof MpesaRefundUnsupported) {
      return { status: 'failed', failure: { code: 'refund_unsupported', reason: error.message } };
    }
    throw error;
  }
}

/**
 * A failed refund's money goes back where it now belongs: to what it was reserved from; but a
 * reservation taken from escrow whose payment has since been released is released too, and a
 * returned payment's customer simply owes that refund no longer.
 */
async function giveBackReservation(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  refund: RefundRow,
  reason: string,
  context: PaymentsContext,
): Promise<void> {
  if (payment.status === 'returned') {
    await postRefundFailedAfterReturn(tx, caller, payment, refund);
    return;
  }
  const fromEscrow = await refundReservedFromEscrow(tx, refund.orgId, refund.id);
  await reverseSourceEntry(tx, caller, refund.orgId, { type: 'refund', id: refund.id, event: 'created' }, { event: 'failed', reason });
  if (fromEscrow && payment.escrowStatus === 'released') {
    await postEscrowReleaseOf(
      tx,
      caller,
      payment,
      refund.amount,
      { commissionBps: (await moneyRules(tx, payment.orgId, context)).commissionBps, deposit: 0 },
      {
        type: 'refund',
        id: refund.id,
        event: 'escrow_released',
      },
    );
  }
}

/** The provider's word on a locked refund: succeeded pays it out of the ledger; failed gives the reservation back. */
export async function applyRefundReport(
  tx: Tx,
  caller: Caller,
  refund: RefundRow,
  report: { status: TransferStatus; failure?: ProviderFailure | null | undefined },
  context: PaymentsContext,
): Promise<{ refund: RefundRow; payment?: PaymentRow; applied: boolean }> {
  if (report.status === refund.status || !canMoveTransfer(refund.status, report.status)) return { refund, applied: false };
  const payment = (await paymentById(tx, refund.paymentId, { forUpdate: true }))!;
  const final = report.status === 'succeeded' || report.status === 'failed' || report.status === 'cancelled';
  const updated = await updateRefund(tx, refund.id, {
    status: report.status,
    failureReason: report.failure?.reason ?? null,
    ...(final ? { settledAt: new Date() } : {}),
  });
  let updatedPayment: PaymentRow | undefined;
  if (report.status === 'succeeded') {
    await postRefundSettled(tx, caller, payment, refund);
    if (payment.escrowStatus === 'held' && payment.refundedAmount >= payment.amount) {
      updatedPayment = await recordPaymentChange(
        tx,
        caller,
        payment,
        { escrowStatus: 'refunded', escrowReleaseDueAt: null },
        { type: 'refunded', data: { refundId: refund.id } },
      );
    }
  }
  if (report.status === 'failed' || report.status === 'cancelled') {
    await giveBackReservation(tx, caller, payment, refund, report.failure?.reason ?? 'The refund failed', context);
    updatedPayment = await recordPaymentChange(
      tx,
      caller,
      payment,
      { refundedAmount: payment.refundedAmount - refund.amount },
      { type: 'refund_failed', reason: report.failure?.reason ?? null, data: { refundId: refund.id } },
    );
  }
  if (final) {
    await recordChange(tx, caller, {
      orgId: refund.orgId,
      action: 'STATUS_CHANGE',
      entityType: 'refund',
      entityId: refund.id,
      before: refundView(refund),
      after: refundView(updated),
      event: {
        type: `refund.${report.status === 'succeeded' ? 'succeeded' : 'failed'}`,
        source,
        data: eventData(updated, updatedPayment ?? payment),
      },
    });
  }
  return { refund: updated, payment: updatedPayment ?? payment, applied: true };
}
