import type { Insertable, Selectable, Updateable } from 'kysely';
import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Payment, PaymentEvent } from '../../platform/db/schema.ts';
import type { BankRail, PaymentMethod, ProviderName } from './providers/port.ts';
import type { PaymentStatus } from './state-machine.ts';

/** The payments module's SQL for payments, their events, the provider directory and the replay store. */

export type PaymentPurpose = 'booking' | 'deposit' | 'invoice' | 'lease_charge' | 'other';
export type EscrowStatus = 'none' | 'held' | 'released' | 'refunded';

export type PaymentRow = Omit<Selectable<Payment>, 'status' | 'purpose' | 'method' | 'rail' | 'provider' | 'escrowStatus'> & {
  status: PaymentStatus;
  purpose: PaymentPurpose;
  method: PaymentMethod;
  rail: BankRail | null;
  provider: ProviderName;
  escrowStatus: EscrowStatus;
};
export type PaymentChange = Omit<Updateable<Payment>, 'id' | 'orgId' | 'version' | 'updatedAt' | 'createdAt'>;
export type PaymentEventRow = Selectable<PaymentEvent>;

/** Inserts the payment unless its idempotency key is taken; a concurrent insert of the key is waited for. */
export async function insertPayment(tx: Tx, row: Insertable<Payment>): Promise<PaymentRow | undefined> {
  return (await tx
    .insertInto('payment')
    .values(row)
    .onConflict((conflict) => conflict.columns(['orgId', 'idempotencyKey']).doNothing())
    .returningAll()
    .executeTakeFirst()) as PaymentRow | undefined;
}

export async function paymentById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<PaymentRow | undefined> {
  let query = db.selectFrom('payment').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst()) as PaymentRow | undefined;
}

export async function paymentByKey(db: Queryable, key: string): Promise<PaymentRow | undefined> {
  return (await db.selectFrom('payment').selectAll().where('idempotencyKey', '=', key).executeTakeFirst()) as PaymentRow | undefined;
}

export async function updatePayment(tx: Tx, id: string, change: PaymentChange): Promise<PaymentRow> {
  return (await tx
    .updateTable('payment')
    .set({ ...change, version: sql<number>`version + 1`, updatedAt: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()) as PaymentRow;
}

export async function insertPaymentEvent(tx: Tx, row: Insertable<PaymentEvent>): Promise<void> {
  await tx.insertInto('paymentEvent').values(row).execute();
}

export async function eventsOfPayment(db: Queryable, paymentId: string): Promise<PaymentEventRow[]> {
  return db.selectFrom('paymentEvent').selectAll().where('paymentId', '=', paymentId).orderBy('sequence').execute();
}

export async function paymentsOfBooking(db: Queryable, bookingId: string, options: { forUpdate?: boolean } = {}): Promise<PaymentRow[]> {
  let query = db.selectFrom('payment').selectAll().where('bookingId', '=', bookingId).orderBy('createdAt').orderBy('id');
  if (options.forUpdate) query = query.forUpdate();
  return (await query.execute()) as PaymentRow[];
}

export interface PaymentFilter {
  bookingId?: string | undefined;
  invoiceId?: string | undefined;
  leaseId?: string | undefined;
  payerCustomerId?: string | undefined;
  status?: PaymentStatus | undefined;
  /** A customer member's own customer records. */
  payerCustomerIds?: string[] | undefined;
  /** An owner member's own owner record. */
  payeeOwnerIds?: string[] | undefined;
}

export async function listPayments(
  db: Queryable,
  filter: PaymentFilter,
  page: { limit: number; offset: number },
): Promise<{ data: PaymentRow[]; total: number }> {
  let query = db.selectFrom('payment');
  if (filter.bookingId) query = query.where('bookingId', '=', filter.bookingId);
  if (filter.invoiceId) query = query.where('invoiceId', '=', filter.invoiceId);
  if (filter.leaseId) query = query.where('leaseId', '=', filter.leaseId);
  if (filter.payerCustomerId) query = query.where('payerCustomerId', '=', filter.payerCustomerId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.payerCustomerIds)
    query = query.where('payerCustomerId', 'in', filter.payerCustomerIds.length ? filter.payerCustomerIds : [null]);
  if (filter.payeeOwnerIds) query = query.where('payeeOwnerId', 'in', filter.payeeOwnerIds.length ? filter.payeeOwnerIds : [null]);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { data: data as PaymentRow[], total: Number(count.total) };
}

/** Payments held in escrow whose release is due. */
export async function paymentsDueForRelease(tx: Tx, now: Date, limit: number): Promise<PaymentRow[]> {
  return (await tx
    .selectFrom('payment')
    .selectAll()
    .where('escrowStatus', '=', 'held')
    .where('escrowReleaseDueAt', '<=', now)
    .orderBy('escrowReleaseDueAt')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute()) as PaymentRow[];
}

// --- the provider directory and the replay store (exempt from row-level security) ---

export type ProviderObject = 'payment' | 'refund' | 'payout';

export async function rememberProviderReference(
  tx: Tx,
  entry: { provider: ProviderName; reference: string; orgId: string; objectType: ProviderObject; objectId: string },
): Promise<void> {
  await tx
    .insertInto('providerReference')
    .values(entry)
    .onConflict((conflict) => conflict.columns(['provider', 'reference']).doNothing())
    .execute();
}

export async function findProviderReference(
  db: Queryable,
  provider: ProviderName,
  reference: string,
): Promise<{ orgId: string; objectType: ProviderObject; objectId: string } | undefined> {
  const row = await db
    .selectFrom('providerReference')
    .select(['orgId', 'objectType', 'objectId'])
    .where('provider', '=', provider)
    .where('reference', '=', reference)
    .executeTakeFirst();
  return row ? { orgId: row.orgId, objectType: row.objectType as ProviderObject, objectId: row.objectId } : undefined;
}

/** Records a webhook event id; false when it was recorded before (a redelivery). */
export async function claimWebhookEvent(tx: Tx, provider: ProviderName, eventId: string, eventType: string): Promise<boolean> {
  const inserted = await tx
    .insertInto('webhookReceipt')
    .values({ provider, eventId, eventType, outcome: 'unmatched' })
    .onConflict((conflict) => conflict.columns(['provider', 'eventId']).doNothing())
    .returning('eventId')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function settleWebhookEvent(
  tx: Tx,
  provider: ProviderName,
  eventId: string,
  outcome: { outcome: 'applied' | 'ignored' | 'unmatched'; orgId?: string; objectType?: ProviderObject; objectId?: string },
): Promise<void> {
  await tx
    .updateTable('webhookReceipt')
    .set({
      outcome: outcome.outcome,
      orgId: outcome.orgId ?? null,
      objectType: outcome.objectType ?? null,
      objectId: outcome.objectId ?? null,
    })
    .where('provider', '=', provider)
    .where('eventId', '=', eventId)
    .execute();
}
