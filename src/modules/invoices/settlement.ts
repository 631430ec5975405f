import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { source } from './issue.ts';
import { type InvoiceRow, linesOf, updateInvoice } from './store.ts';
import { detailOf, eventDataOf } from './views.ts';

/**
 * Payments learnt of through events: what was paid is added to the invoice (paid once it covers the
 * total), and a payment returned by the bank is taken off again (issued again when it no longer
 * covers the total). The invoice row is locked by the caller.
 */

export interface PaymentApplied {
  paymentId: string;
  amount: number;
  currency: string;
}

function checkCurrency(invoice: InvoiceRow, payment: PaymentApplied): void {
  if (payment.currency !== invoice.currency) {
    throw new Error(`Payment ${payment.paymentId} is in ${payment.currency}, invoice ${invoice.number} in ${invoice.currency}`);
  }
  if (!Number.isSafeInteger(payment.amount) || payment.amount <= 0) {
    throw new Error(`Payment ${payment.paymentId} has no positive amount: ${String(payment.amount)}`);
  }
}

async function record(tx: Tx, caller: Caller, before: InvoiceRow, after: InvoiceRow, type: string, payment: PaymentApplied) {
  const lines = await linesOf(tx, after.id);
  const { lines: _before, ...beforeView } = detailOf(before, lines);
  const { lines: _after, ...afterView } = detailOf(after, lines);
  await recordChange(tx, caller, {
    orgId: after.orgId,
    action: 'PAYMENT',
    entityType: 'invoice',
    entityId: after.id,
    before: beforeView,
    after: afterView,
    event: { type, source, data: eventDataOf(after, { paymentId: payment.paymentId, paymentAmount: payment.amount }) },
  });
}

/**
 * Adds a payment to the invoice: `invoice.paid` when it now covers the total, else
 * `invoice.payment_applied`. A void invoice keeps its status and shows the money received.
 */
export async function applyPayment(tx: Tx, caller: Caller, invoice: InvoiceRow, payment: PaymentApplied): Promise<InvoiceRow> {
  checkCurrency(invoice, payment);
  const amountPaid = invoice.amountPaid + payment.amount;
  const nowPaid = invoice.status === 'issued' && amountPaid >= invoice.total;
  const after = await updateInvoice(tx, invoice.id, nowPaid ? { amountPaid, status: 'paid', paidAt: new Date() } : { amountPaid });
  await record(tx, caller, invoice, after, nowPaid ? 'invoice.paid' : 'invoice.payment_applied', payment);
  return after;
}

/** Takes a returned payment off the invoice: `invoice.payment_returned`, issued again if it was paid. */
export async function returnPayment(tx: Tx, caller: Caller, invoice: InvoiceRow, payment: PaymentApplied): Promise<InvoiceRow> {
  checkCurrency(invoice, payment);
  // Never below nothing: a return of more than was recorded here (paid to an earlier, void invoice) takes what there is.
  const amountPaid = Math.max(0, invoice.amountPaid - payment.amount);
  const reopened = invoice.status === 'paid' && amountPaid < invoice.total;
  const after = await updateInvoice(tx, invoice.id, reopened ? { amountPaid, status: 'issued', paidAt: null } : { amountPaid });
  await record(tx, caller, invoice, after, 'invoice.payment_returned', payment);
  return after;
}
