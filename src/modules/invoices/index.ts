import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { TenureModule } from '../../platform/module.ts';
import { ensureBookingInvoiceRow } from './issue.ts';
import { invoicesRoutes } from './routes.ts';
import { invoiceSubscribers } from './subscribers.ts';
import { factsOf, type InvoiceFacts } from './views.ts';

/**
 * Invoices: what a customer owes for a booking or a charge, numbered without gaps per organization
 * (docs/invoices.md). A charge is posted to the ledger when issued and reversed when voided; a
 * booking's invoice follows the booking and its payments through events (`booking.confirmed`,
 * `booking.cancelled`, `payment.succeeded`, `payment.returned`) and posts nothing. Publishes
 * `invoice.issued`, `invoice.payment_applied`, `invoice.paid`, `invoice.payment_returned` and
 * `invoice.voided`.
 */
export { invoiceFacts } from './reads.ts';
export { invoiceErrors } from './errors.ts';
export type { InvoiceFacts } from './views.ts';

/**
 * The booking's live invoice, issued in the caller's transaction when it has none yet (lines from
 * its price breakdown, due at check-in); nothing is posted to the ledger.
 */
export async function ensureBookingInvoice(tx: Tx, caller: Caller, bookingId: string): Promise<InvoiceFacts> {
  return factsOf(await ensureBookingInvoiceRow(tx, caller, bookingId));
}

export const invoicesModule: TenureModule = {
  name: 'invoices',
  routes: invoicesRoutes,
  subscribers: invoiceSubscribers,
};
