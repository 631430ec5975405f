import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { reverseEntry } from '../ledger/index.ts';
import { invoiceErrors } from './errors.ts';
import { source } from './issue.ts';
import type { InvoiceDetail } from './schemas.ts';
import { type InvoiceRow, linesOf, updateInvoice } from './store.ts';
import { detailOf, eventDataOf } from './views.ts';

/**
 * Voids an invoice nothing was paid against (409 `invoices.paid` otherwise, `invoices.already_void`
 * when it is void): a charge's receivable entry is reversed in the same transaction. Its number
 * stays used; a booking may then get a new invoice. The caller has locked the row.
 */
export async function voidInvoice(tx: Tx, caller: Caller, invoice: InvoiceRow, reason: string): Promise<InvoiceDetail> {
  if (invoice.status === 'void')
    throw invoiceErrors.raise('already_void', `Invoice ${invoice.number} was voided: ${invoice.voidReason ?? ''}`);
  if (invoice.amountPaid > 0) {
    throw invoiceErrors.raise('paid', `Invoice ${invoice.number} has ${invoice.amountPaid} ${invoice.currency} paid against it`);
  }
  if (invoice.ledgerEntryId !== null) {
    await reverseEntry(tx, caller, {
      orgId: invoice.orgId,
      entryId: invoice.ledgerEntryId,
      reason: `Invoice ${invoice.number} voided: ${reason}`,
      source: { type: 'invoice', id: invoice.id, event: 'voided' },
    });
  }
  const after = await updateInvoice(tx, invoice.id, { status: 'void', voidedAt: new Date(), voidReason: reason });
  const lines = await linesOf(tx, invoice.id);
  const { lines: _lines, ...beforeView } = detailOf(invoice, lines);
  const detail = detailOf(after, lines);
  const { lines: _afterLines, ...afterView } = detail;
  await recordChange(tx, caller, {
    orgId: after.orgId,
    action: 'VOID',
    entityType: 'invoice',
    entityId: after.id,
    before: beforeView,
    after: afterView,
    event: { type: 'invoice.voided', source, data: eventDataOf(after, { reason }) },
  });
  return detail;
}
