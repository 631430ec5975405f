import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Payout } from '../../platform/db/schema.ts';
import { uuidFromName, uuidv7 } from '../../platform/ids.ts';
import { ownerFacts } from '../inventory/index.ts';
import { accountBalance } from '../ledger/index.ts';
import { postPayoutRequested, postPayoutSettled, reverseSourceEntry } from './accounting.ts';
import { bankAccountForUse } from './bank-accounts.ts';
import type { PaymentsContext } from './context.ts';
import { paymentErrors } from './errors.ts';
import { MpesaAmountNotWhole } from './providers/mpesa.ts';
import { type BankRail, type PayoutRequest, type ProviderFailure, ProviderUnavailable } from './providers/port.ts';
import { canMoveTransfer, type TransferStatus } from './state-machine.ts';
import { rememberProviderReference } from './store.ts';

/**
 * Payouts: an owner's available balance (their payable in the ledger) sent to their bank account
 * or M-Pesa. The amount leaves the payable for "payouts in transit" when requested, with the
 * payable locked, so two payouts cannot spend the same money; deposits held are another account
 * and never paid out. A payout that fails is reversed and the balance is back.
 */

export type PayoutRow = Omit<Selectable<Payout>, 'status'> & { status: TransferStatus };

const source = 'payments';

export function payoutView(row: PayoutRow) {
  return {
    id: row.id,
    organizationId: row.orgId,
    ownerId: row.ownerId,
    amount: row.amount,
    currency: row.currency,
    destinationType: row.destinationType as 'bank_account' | 'mpesa',
    bankAccountId: row.bankAccountId,
    phone: row.phone,
    rail: row.rail as BankRail | null,
    provider: row.provider,
    providerReference: row.providerReference,
    status: row.status,
    failureCode: row.failureCode,
    failureReason: row.failureReason,
    note: row.note,
    requestedBy: row.requestedBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    settledAt: row.settledAt?.toISOString() ?? null,
  };
}

const eventData = (row: PayoutRow) => ({
  payoutId: row.id,
  ownerId: row.ownerId,
  amount: row.amount,
  currency: row.currency,
  destinationType: row.destinationType,
  status: row.status,
});

export async function payoutById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<PayoutRow | undefined> {
  let query = db.selectFrom('payout').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return (await query.executeTakeFirst()) as PayoutRow | undefined;
}

export async function listPayouts(
  db: Queryable,
  filter: { ownerIds?: string[] | undefined; ownerId?: string | undefined; status?: TransferStatus | undefined },
  page: { limit: number; offset: number },
): Promise<{ data: PayoutRow[]; total: number }> {
  let query = db.selectFrom('payout');
  if (filter.ownerId) query = query.where('ownerId', '=', filter.ownerId);
  if (filter.ownerIds) query = query.where('ownerId', 'in', filter.ownerIds.length ? filter.ownerIds : [null as unknown as string]);
  if (filter.status) query = query.where('status', '=', filter.status);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow(),
  ]);
  return { data: data as PayoutRow[], total: Number(count.total) };
}

export interface NewPayout {
  orgId: string;
  ownerId: string;
  amount: number;
  currency: string;
  bankAccountId?: string | undefined;
  mpesaPhone?: string | undefined;
  rail?: BankRail | undefined;
  note?: string | undefined;
  idempotencyKey?: string | undefined;
}

async function destinationOf(
  tx: Tx,
  input: NewPayout,
  context: PaymentsContext,
): Promise<{ request: PayoutRequest['destination']; provider: 'sandbox' | 'mpesa' }> {
  if (input.mpesaPhone) {
    if (input.currency !== 'KES') throw paymentErrors.raise('destination_invalid', 'M-Pesa pays out Kenyan shillings only');
    return { request: { type: 'mpesa', phone: input.mpesaPhone }, provider: 'mpesa' };
  }
  if (!input.bankAccountId) throw paymentErrors.raise('destination_invalid', 'Name the owner’s bank account or an M-Pesa number');
  const account = await bankAccountForUse(tx, input.bankAccountId, context.dataKeys);
  if (account.holderType !== 'owner' || account.holderId !== input.ownerId) {
    throw paymentErrors.raise('destination_invalid', 'The bank account is not the owner’s');
  }
  if (account.currency !== input.currency) throw paymentErrors.raise('destination_invalid', `The bank account holds ${account.currency}`);
  return {
    provider: 'sandbox',
    request: {
      type: 'bank_account',
      holderName: account.holderName,
      routingNumber: account.routingNumber,
      accountNumber: account.accountNumber,
      accountType: account.accountType,
      rail: input.rail ?? 'STANDARD_ACH',
    },
  };
}

/** The owner's available balance in a currency: their payable, on its credit side. */
export async function availableBalance(
  tx: Tx,
  orgId: string,
  ownerId: string,
  currency: string,
  options: { lock?: boolean } = {},
): Promise<number> {
  return -(await accountBalance(tx, orgId, { code: '2200', currency, party: { type: 'owner', id: ownerId } }, options));
}

export async function requestPayout(
  tx: Tx,
  caller: Caller,
  input: NewPayout,
  context: PaymentsContext,
): Promise<{ payout: PayoutRow; created: boolean }> {
  if (input.idempotencyKey) {
    const existing = (await tx.selectFrom('payout').selectAll().where('idempotencyKey', '=', input.idempotencyKey).executeTakeFirst()) as
      PayoutRow | undefined;
    if (existing) {
      const same =
        existing.ownerId === input.ownerId &&
        existing.amount === input.amount &&
        existing.currency === input.currency &&
        existing.bankAccountId === (input.bankAccountId ?? null) &&
        existing.phone === (input.mpesaPhone ?? null);
      if (!same)
        throw paymentErrors.raise('idempotency_key_reused', `Payout ${existing.id} was requested with this key and a different request`);
      return { payout: existing, created: false };
    }
  }
  if (!(await ownerFacts(tx, input.ownerId))) throw paymentErrors.raise('payee_not_found', `No owner ${input.ownerId} here`);
  const destination = await destinationOf(tx, input, context);
  const providerName = destination.provider === 'mpesa' && context.providers.has('mpesa') ? 'mpesa' : 'sandbox';
  const available = await availableBalance(tx, input.orgId, input.ownerId, input.currency, { lock: true });
  if (input.amount > available) {
    throw paymentErrors.raise('insufficient_funds', `${available} ${input.currency} is available to pay out`);
  }
  const payout = (await tx
    .insertInto('payout')
    .values({
      id: input.idempotencyKey ? uuidFromName('payout', input.orgId, input.idempotencyKey) : uuidv7(),
      orgId: input.orgId,
      ownerId: input.ownerId,
      amount: input.amount,
      currency: input.currency,
      destinationType: destination.request.type,
      bankAccountId: input.bankAccountId ?? null,
      phone: input.mpesaPhone ?? null,
      rail: destination.request.type === 'bank_account' ? destination.request.rail : null,
      provider: providerName,
      status: 'pending',
      idempotencyKey: input.idempotencyKey ?? null,
      note: input.note ?? null,
      requestedBy: caller.userId,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as PayoutRow;
  await postPayoutRequested(tx, caller, payout);
  await recordChange(tx, caller, {
    orgId: payout.orgId,
    action: 'PAYOUT',
    entityType: 'payout',
    entityId: payout.id,
    after: payoutView(payout),
    event: { type: 'payout.requested', source, data: eventData(payout) },
  });
  const provider = context.providers.get(providerName, tx);
  if (!provider.payout) throw paymentErrors.raise('destination_invalid', `${providerName} does not pay out`);
  let outcome;
  try {
    outcome = await provider.payout({
      payoutId: payout.id,
      amount: payout.amount,
      currency: payout.currency,
      destination: destination.request,
      remarks: input.note ?? 'Owner payout',
    });
  } catch (error) {
    if (error instanceof ProviderUnavailable) throw paymentErrors.raise('provider_unavailable', error.message);
    if (error instanceof MpesaAmountNotWhole) throw paymentErrors.raise('amount_not_whole', error.message);
    throw error;
  }
  await rememberProviderReference(tx, {
    provider: providerName,
    reference: outcome.providerReference,
    orgId: payout.orgId,
    objectType: 'payout',
    objectId: payout.id,
  });
  const referenced = (await tx
    .updateTable('payout')
    .set({ providerReference: outcome.providerReference, updatedAt: sql<Date>`now()` })
    .where('id', '=', payout.id)
    .returningAll()
    .executeTakeFirstOrThrow()) as PayoutRow;
  const applied = await applyPayoutReport(tx, caller, referenced, { status: outcome.status, failure: outcome.failure ?? null });
  return { payout: applied.payout, created: true };
}

/** The provider's word on a locked payout: succeeded settles it in the ledger; failed restores the balance. */
export async function applyPayoutReport(
  tx: Tx,
  caller: Caller,
  payout: PayoutRow,
  report: { status: TransferStatus; failure?: ProviderFailure | null | undefined },
): Promise<{ payout: PayoutRow; applied: boolean }> {
  if (report.status === payout.status || !canMoveTransfer(payout.status, report.status)) return { payout, applied: false };
  const final = report.status !== 'processing' && report.status !== 'pending';
  const updated = (await tx
    .updateTable('payout')
    .set({
      status: report.status,
      failureCode: report.failure?.code ?? null,
      failureReason: report.failure?.reason ?? null,
      ...(final ? { settledAt: new Date() } : {}),
      updatedAt: sql<Date>`now()`,
    })
    .where('id', '=', payout.id)
    .returningAll()
    .executeTakeFirstOrThrow()) as PayoutRow;
  if (report.status === 'succeeded') await postPayoutSettled(tx, caller, updated);
  if (report.status === 'failed' || report.status === 'cancelled') {
    await reverseSourceEntry(
      tx,
      caller,
      payout.orgId,
      { type: 'payout', id: payout.id, event: 'requested' },
      { event: 'failed', reason: report.failure?.reason ?? 'The payout failed' },
    );
  }
  if (final) {
    await recordChange(tx, caller, {
      orgId: payout.orgId,
      action: 'STATUS_CHANGE',
      entityType: 'payout',
      entityId: payout.id,
      before: payoutView(payout),
      after: payoutView(updated),
      event: { type: `payout.${report.status === 'succeeded' ? 'succeeded' : 'failed'}`, source, data: eventData(updated) },
    });
  }
  return { payout: updated, applied: true };
}
