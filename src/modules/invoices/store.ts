import { type Expression, type Insertable, type Selectable, type SqlBool, sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows } from '../../platform/db/queries.ts';
import type { Invoice, InvoiceLine } from '../../platform/db/schema.ts';

/** The invoices module's SQL: invoice_sequence, invoice and invoice_line, in the transaction's organization. */

export type InvoiceRow = Selectable<Invoice>;
export type InvoiceLineRow = Selectable<InvoiceLine>;

/**
 * The invoices a caller's granted scope reaches: all of the organization's (nothing set), a
 * customer member's own customers' (`customerIds`), or an owner member's properties'
 * (`propertyIds`, matched against the seller the invoice was issued for).
 */
export interface RowScope {
  customerIds?: string[];
  propertyIds?: string[];
}

export function actingOrganization(db: Queryable): Promise<string> {
  return sql<{ orgId: string | null }>`SELECT tenure_current_org() AS org_id`.execute(db).then(({ rows }) => {
    const orgId = rows[0]?.orgId;
    if (!orgId) throw new Error('No acting organization: invoices are kept per organization');
    return orgId;
  });
}

/**
 * Takes the organization's next invoice number. The sequence row stays locked until the issuing
 * transaction ends: a commit keeps the number, a rollback gives it back, so numbers have no gaps
 * (and issues of one organization take turns from here to their commit).
 */
export async function takeInvoiceNumber(tx: Tx, orgId: string): Promise<number> {
  await tx
    .insertInto('invoiceSequence')
    .values({ orgId })
    .onConflict((conflict) => conflict.column('orgId').doNothing())
    .execute();
  const row = await tx
    .updateTable('invoiceSequence')
    .set((eb) => ({ nextNumber: eb('nextNumber', '+', 1) }))
    .where('orgId', '=', orgId)
    .returning(sql<number>`next_number - 1`.as('taken'))
    .executeTakeFirstOrThrow();
  return row.taken;
}

/** Two issues for one booking take turns, so the second finds the first's invoice. */
export async function lockBookingInvoicing(tx: Tx, bookingId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`invoices.booking:${bookingId}`}, 0))`.execute(tx);
}

export function insertInvoice(tx: Tx, values: Insertable<Invoice>): Promise<InvoiceRow> {
  return tx.insertInto('invoice').values(values).returningAll().executeTakeFirstOrThrow();
}

export async function insertLines(tx: Tx, rows: Insertable<InvoiceLine>[]): Promise<InvoiceLineRow[]> {
  if (rows.length === 0) return [];
  return tx.insertInto('invoiceLine').values(rows).returningAll().execute();
}

function scopeConditions(scope: RowScope): Expression<SqlBool>[] {
  const list: Expression<SqlBool>[] = [];
  if (scope.customerIds !== undefined) list.push(sql<SqlBool>`customer_id = ANY(${scope.customerIds}::uuid[])`);
  if (scope.propertyIds !== undefined) list.push(sql<SqlBool>`seller ->> 'propertyId' = ANY(${scope.propertyIds}::text[])`);
  return list;
}

export function invoiceById(db: Queryable, id: string, scope: RowScope = {}, options: { forUpdate?: boolean } = {}) {
  const query = db
    .selectFrom('invoice')
    .selectAll()
    .where('id', '=', id)
    .where((eb) => eb.and(scopeConditions(scope)));
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** The booking's invoice that is not void, if any (one at most: invoice_booking_idx). */
export function liveInvoiceOfBooking(db: Queryable, bookingId: string, options: { forUpdate?: boolean } = {}) {
  const query = db.selectFrom('invoice').selectAll().where('bookingId', '=', bookingId).where('status', '<>', 'void');
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function linesOf(db: Queryable, invoiceId: string): Promise<InvoiceLineRow[]> {
  return db.selectFrom('invoiceLine').selectAll().where('invoiceId', '=', invoiceId).orderBy('position').execute();
}

export function updateInvoice(
  tx: Tx,
  id: string,
  changes: Partial<Omit<InvoiceRow, 'id' | 'orgId' | 'createdAt' | 'sequenceNumber' | 'number'>>,
): Promise<InvoiceRow> {
  return tx
    .updateTable('invoice')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface InvoiceSearch {
  status?: string;
  customerId?: string;
  bookingId?: string;
  from?: string;
  to?: string;
  limit: number;
  offset: number;
}

export type ListedInvoice = InvoiceRow & { includedTax: number };

/** The invoices matching the filters within the scope, the newest number first. */
export async function searchInvoices(
  db: Queryable,
  search: InvoiceSearch,
  scope: RowScope,
): Promise<{ rows: ListedInvoice[]; total: number }> {
  const conditions = (): Expression<SqlBool>[] => {
    const list = scopeConditions(scope);
    if (search.status !== undefined) list.push(sql<SqlBool>`status = ${search.status}`);
    if (search.customerId !== undefined) list.push(sql<SqlBool>`customer_id = ${search.customerId}`);
    if (search.bookingId !== undefined) list.push(sql<SqlBool>`booking_id = ${search.bookingId}`);
    if (search.from !== undefined) list.push(sql<SqlBool>`issue_date >= ${search.from}::date`);
    if (search.to !== undefined) list.push(sql<SqlBool>`issue_date <= ${search.to}::date`);
    return list;
  };
  const where = (eb: { and: (list: Expression<SqlBool>[]) => Expression<SqlBool> }) => eb.and(conditions());
  const rows = await db
    .selectFrom('invoice')
    .selectAll()
    .select(
      sql<number>`(SELECT coalesce(sum(l.amount), 0)::bigint FROM invoice_line l WHERE l.invoice_id = invoice.id AND l.included)`.as(
        'includedTax',
      ),
    )
    .where(where)
    .orderBy('sequenceNumber', 'desc')
    .limit(search.limit)
    .offset(search.offset)
    .execute();
  return { rows, total: await countRows(db.selectFrom('invoice').where(where)) };
}
