import type { BillTo, InvoiceDetail, InvoiceLineKind, InvoiceStatus, InvoiceSummary, Seller } from './schemas.ts';
import type { InvoiceLineRow, InvoiceRow } from './store.ts';

/** How an invoice row is shown: in replies, audit entries and events, and to other modules. */

/** What other modules (payments) read of an invoice, in the organization their transaction acts for. */
export interface InvoiceFacts {
  id: string;
  orgId: string;
  number: string;
  status: InvoiceStatus;
  customerId: string;
  currency: string;
  total: number;
  amountPaid: number;
  /** What is still owed: never below 0. */
  amountDue: number;
  bookingId: string | null;
}

export function amountDueOf(row: Pick<InvoiceRow, 'status' | 'total' | 'amountPaid'>): number {
  return row.status === 'void' ? 0 : Math.max(0, row.total - row.amountPaid);
}

export function factsOf(row: InvoiceRow): InvoiceFacts {
  return {
    id: row.id,
    orgId: row.orgId,
    number: row.number,
    status: row.status as InvoiceStatus,
    customerId: row.customerId,
    currency: row.currency,
    total: row.total,
    amountPaid: row.amountPaid,
    amountDue: amountDueOf(row),
    bookingId: row.bookingId,
  };
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export function summaryOf(row: InvoiceRow, includedTax: number): InvoiceSummary {
  return {
    id: row.id,
    number: row.number,
    kind: row.kind as InvoiceSummary['kind'],
    status: row.status as InvoiceStatus,
    bookingId: row.bookingId,
    customerId: row.customerId,
    currency: row.currency,
    subtotal: row.subtotal,
    taxTotal: row.taxTotal,
    includedTax,
    total: row.total,
    amountPaid: row.amountPaid,
    amountDue: amountDueOf(row),
    issueDate: row.issueDate,
    dueDate: row.dueDate,
    billTo: row.billTo as unknown as BillTo,
    seller: row.seller as unknown as Seller,
    notes: row.notes,
    ledgerEntryId: row.ledgerEntryId,
    voidReason: row.voidReason,
    paidAt: iso(row.paidAt),
    voidedAt: iso(row.voidedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function detailOf(row: InvoiceRow, lines: InvoiceLineRow[]): InvoiceDetail {
  const includedTax = lines.filter((line) => line.included).reduce((total, line) => total + line.amount, 0);
  return {
    ...summaryOf(row, includedTax),
    lines: lines.map((line) => ({
      position: line.position,
      kind: line.kind as InvoiceLineKind,
      description: line.description,
      quantity: Number(line.quantity),
      unitAmount: line.unitAmount,
      amount: line.amount,
      included: line.included,
    })),
  };
}

/** What an invoice's events carry. */
export function eventDataOf(row: InvoiceRow, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    invoiceId: row.id,
    number: row.number,
    kind: row.kind,
    status: row.status,
    bookingId: row.bookingId,
    customerId: row.customerId,
    currency: row.currency,
    total: row.total,
    amountPaid: row.amountPaid,
    amountDue: amountDueOf(row),
    ...extra,
  };
}
