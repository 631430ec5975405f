import type { Queryable } from '../../platform/db/database.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { uuidPattern } from '../../platform/ids.ts';
import { customerIdsOfUser } from '../customers/index.ts';
import { propertyIdsOwnedBy } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { invoiceErrors } from './errors.ts';
import type { InvoiceDetail, InvoiceListQuery, InvoiceSummary } from './schemas.ts';
import { invoiceById, type InvoiceRow, linesOf, type RowScope, searchInvoices } from './store.ts';
import { detailOf, type InvoiceFacts, factsOf, summaryOf } from './views.ts';

/**
 * The rows a caller's granted scope reaches: every invoice of the organization (`all`), an owner
 * member's properties' (`own` for `owner`: the property the invoice was issued for), or a customer
 * member's own (`own` otherwise). Outside the scope an invoice answers 404, like another
 * organization's.
 */
export async function rowScopeOf(db: Queryable, access: Pick<Access, 'scope' | 'role' | 'userId'>): Promise<RowScope> {
  if (access.scope === 'all') return {};
  if (access.role === 'owner') return { propertyIds: await propertyIdsOwnedBy(db, access.userId) };
  if (access.scope === 'own') return { customerIds: await customerIdsOfUser(db, access.userId) };
  return { customerIds: [] };
}

/** The invoice within the scope, locked for a change when `forUpdate`; 404 otherwise. */
export async function visibleInvoice(
  db: Queryable,
  invoiceId: string,
  scope: RowScope,
  options: { forUpdate?: boolean } = {},
): Promise<InvoiceRow> {
  const row = await invoiceById(db, invoiceId, scope, options);
  if (!row) throw invoiceErrors.raise('not_found', `No invoice ${invoiceId} here`);
  return row;
}

export async function getInvoice(db: Queryable, invoiceId: string, scope: RowScope): Promise<InvoiceDetail> {
  const row = await visibleInvoice(db, invoiceId, scope);
  return detailOf(row, await linesOf(db, row.id));
}

export async function listInvoices(
  db: Queryable,
  query: InvoiceListQuery,
  scope: RowScope,
): Promise<{ data: InvoiceSummary[]; total: number }> {
  const { rows, total } = await searchInvoices(db, { ...query, ...offsetOf(query) }, scope);
  return { data: rows.map((row) => summaryOf(row, row.includedTax)), total };
}

/** An invoice of the acting organization, as payments check an invoice payment; undefined when none. */
export async function invoiceFacts(db: Queryable, invoiceId: string): Promise<InvoiceFacts | undefined> {
  const row = uuidPattern.test(invoiceId) ? await invoiceById(db, invoiceId) : undefined;
  return row && factsOf(row);
}
