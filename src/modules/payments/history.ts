import type { Caller } from '../../platform/audit/change.ts';
import { recordChange } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { uuidv7 } from '../../platform/ids.ts';
import type { PaymentStatus } from './state-machine.ts';
import { type PaymentChange, type PaymentEventRow, type PaymentRow, insertPaymentEvent, updatePayment } from './store.ts';

/**
 * A payment's history is event-sourced: every change appends an immutable `payment_event` with who
 * did it, what changed (`data.changes`), why, and the payment as it then was (`snapshot`). The
 * event's sequence is the payment's version after the change, so the history has no gaps, and
 * applying the changes in order rebuilds the payment (`replayPayment`).
 */

const source = 'payments';

/** The payment as the API shows it. */
export function paymentView(row: PaymentRow) {
  return {
    id: row.id,
    organizationId: row.orgId,
    purpose: row.purpose,
    bookingId: row.bookingId,
    invoiceId: row.invoiceId,
    leaseId: row.leaseId,
    payerCustomerId: row.payerCustomerId,
    payeeOwnerId: row.payeeOwnerId,
    amount: row.amount,
    currency: row.currency,
    method: row.method,
    rail: row.rail,
    provider: row.provider,
    providerReference: row.providerReference,
    status: row.status,
    failureCode: row.failureCode,
    failureReason: row.failureReason,
    retryCount: row.retryCount,
    receiptNumber: row.receiptNumber,
    payerBankAccountId: row.payerBankAccountId,
    payerPhone: row.payerPhone,
    clientAction: row.clientAction as Record<string, unknown> | null,
    escrowStatus: row.escrowStatus,
    escrowReleaseDueAt: row.escrowReleaseDueAt?.toISOString() ?? null,
    refundedAmount: row.refundedAmount,
    attention: row.attention,
    description: row.description,
    metadata: row.metadata as Record<string, unknown>,
    idempotencyKey: row.idempotencyKey,
    succeededAt: row.succeededAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    version: row.version,
  };
}
export type PaymentView = ReturnType<typeof paymentView>;

/** The fields the history rebuilds: everything but the bookkeeping of the row itself. */
type ReplayedView = Omit<PaymentView, 'updatedAt' | 'version'>;

function changesBetween(before: Partial<ReplayedView>, after: ReplayedView): Partial<ReplayedView> {
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(after)) {
    if (JSON.stringify(before[key as keyof ReplayedView]) !== JSON.stringify(value)) changes[key] = value;
  }
  return changes;
}

function replayed(view: PaymentView): ReplayedView {
  const { updatedAt: _updatedAt, version: _version, ...rest } = view;
  return rest;
}

export interface PaymentEventInput {
  /** What happened, in the past tense: initiated, processing, succeeded, retried, escrow_released, … */
  type: string;
  reason?: string | null | undefined;
  /** A provider's report: the actor is the provider. */
  provider?: string | undefined;
  data?: Record<string, unknown>;
}

function actorOf(caller: Caller, input: PaymentEventInput): { actorType: 'user' | 'system' | 'provider'; actorId: string | null } {
  if (input.provider) return { actorType: 'provider', actorId: input.provider };
  if (caller.userId) return { actorType: 'user', actorId: caller.userId };
  return { actorType: 'system', actorId: null };
}

/** What a payment's outbox events carry: enough for invoices, the ledger's readers and notifications. */
const publishedFields = [
  'purpose',
  'bookingId',
  'invoiceId',
  'leaseId',
  'payerCustomerId',
  'payeeOwnerId',
  'amount',
  'currency',
  'method',
  'rail',
  'provider',
  'status',
  'failureCode',
  'receiptNumber',
  'retryCount',
] as const satisfies readonly (keyof PaymentView)[];

function eventData(row: PaymentRow): Record<string, unknown> {
  const view = paymentView(row);
  return { paymentId: row.id, ...Object.fromEntries(publishedFields.map((field) => [field, view[field]])) };
}

async function appendEvent(tx: Tx, caller: Caller, before: PaymentRow | null, after: PaymentRow, input: PaymentEventInput): Promise<void> {
  const afterView = paymentView(after);
  await insertPaymentEvent(tx, {
    id: uuidv7(),
    orgId: after.orgId,
    paymentId: after.id,
    sequence: after.version,
    type: input.type,
    fromStatus: before?.status ?? null,
    toStatus: after.status,
    ...actorOf(caller, input),
    reason: input.reason ?? null,
    data: JSON.stringify({ changes: changesBetween(before ? replayed(paymentView(before)) : {}, replayed(afterView)), ...input.data }),
    snapshot: JSON.stringify(afterView),
    correlationId: caller.context.correlationId,
  });
}

/** The payment was made: its first event, `payment.initiated` and the audit entry. */
export async function recordCreation(tx: Tx, caller: Caller, row: PaymentRow, input: Omit<PaymentEventInput, 'type'> = {}): Promise<void> {
  await appendEvent(tx, caller, null, row, { ...input, type: 'initiated' });
  await recordChange(tx, caller, {
    orgId: row.orgId,
    action: 'PAYMENT',
    entityType: 'payment',
    entityId: row.id,
    after: paymentView(row),
    event: { type: 'payment.initiated', source, data: eventData(row) },
  });
}

/**
 * Applies a change to a locked payment and records it: the event always, and when the status moves
 * (or `publish` names one) the outbox event `payment.<status>` and an audit entry.
 */
export async function recordPaymentChange(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  change: PaymentChange,
  input: PaymentEventInput & { publish?: string },
): Promise<PaymentRow> {
  const updated = await updatePayment(tx, payment.id, change);
  await appendEvent(tx, caller, payment, updated, input);
  const published = input.publish ?? (updated.status !== payment.status ? `payment.${updated.status}` : undefined);
  if (published) {
    await recordChange(tx, caller, {
      orgId: updated.orgId,
      action: 'STATUS_CHANGE',
      entityType: 'payment',
      entityId: updated.id,
      before: paymentView(payment),
      after: paymentView(updated),
      event: { type: published, source, data: { ...eventData(updated), ...(input.data ?? {}) } },
    });
  }
  return updated;
}

/** The payment as its events alone describe it: each event's changes applied in order. */
export function replayPayment(events: readonly Pick<PaymentEventRow, 'data' | 'sequence'>[]): Partial<ReplayedView> {
  let state: Partial<ReplayedView> = {};
  let expected = 1;
  for (const event of events) {
    if (event.sequence !== expected) throw new Error(`The history skips from ${expected - 1} to ${event.sequence}`);
    const data = event.data as { changes?: Partial<ReplayedView> };
    state = { ...state, ...(data.changes ?? {}) };
    expected += 1;
  }
  return state;
}

export function historyView(event: PaymentEventRow) {
  const data = event.data as Record<string, unknown>;
  return {
    id: event.id,
    sequence: event.sequence,
    type: event.type,
    fromStatus: event.fromStatus as PaymentStatus | null,
    toStatus: event.toStatus as PaymentStatus,
    actor: { type: event.actorType as 'user' | 'system' | 'provider', id: event.actorId },
    reason: event.reason,
    data,
    snapshot: event.snapshot as Record<string, unknown>,
    correlationId: event.correlationId,
    occurredAt: event.occurredAt.toISOString(),
  };
}
