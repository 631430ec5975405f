import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { percentOf } from '../../platform/money.ts';
import { type AccountKey, entryOfSource, type PostingLine, postEntry, reverseEntry } from '../ledger/index.ts';
import type { PaymentRow } from './store.ts';

/**
 * What each money movement posts to the ledger (docs/payments.md, "Accounting"). Every entry names
 * its source event, so an event handled twice posts once.
 */

const owner = (payment: Pick<PaymentRow, 'payeeOwnerId'>) =>
  payment.payeeOwnerId ? { type: 'owner' as const, id: payment.payeeOwnerId } : null;
const customer = (customerId: string) => ({ type: 'customer' as const, id: customerId });

function account(code: AccountKey['code'], currency: string, party: AccountKey['party'] = null): AccountKey {
  return { code, currency, party };
}

/** Where money paid in lands first: the till for cash and cheques, else the provider's clearing account. */
export function receivingAccount(payment: Pick<PaymentRow, 'provider' | 'currency'>): AccountKey {
  return payment.provider === 'manual'
    ? account('1000', payment.currency)
    : account('1100', payment.currency, { type: 'provider', id: payment.provider });
}

function payerOf(payment: Pick<PaymentRow, 'payerCustomerId' | 'id'>): string {
  if (!payment.payerCustomerId) throw new Error(`Payment ${payment.id} has no paying customer`);
  return payment.payerCustomerId;
}

/** What a captured payment is owed against: escrow for a stay, deposits held, a receivable, or income. */
function capturedInto(payment: PaymentRow): AccountKey {
  switch (payment.purpose) {
    case 'booking':
      return account('2000', payment.currency, owner(payment));
    case 'deposit':
      return account('2100', payment.currency, customer(payerOf(payment)));
    case 'invoice':
    case 'lease_charge':
      return account('1200', payment.currency, customer(payerOf(payment)));
    case 'other':
      // Paid to an owner (rent straight to the landlord), or the organization's own income.
      return payment.payeeOwnerId ? account('2200', payment.currency, owner(payment)) : account('4000', payment.currency);
  }
}

const lines = (...postings: PostingLine[]) => postings.filter((posting) => posting.amount !== 0);

export async function postCapture(tx: Tx, caller: Caller, payment: PaymentRow): Promise<void> {
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Payment ${payment.receiptNumber ?? payment.providerReference ?? payment.id} received (${payment.purpose})`,
    source: { type: 'payment', id: payment.id, event: 'succeeded' },
    effectiveAt: payment.succeededAt ?? new Date(),
    postings: lines(
      { account: receivingAccount(payment), amount: payment.amount },
      { account: capturedInto(payment), amount: -payment.amount },
    ),
  });
}

/**
 * Escrow released: what remains of the payment goes to the owner's payable net of the
 * organization's commission (or to rental income for the organization's own property), with a
 * monthly stay's or lease's deposit moved to deposits held.
 */
export async function postEscrowRelease(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  split: { commissionBps: number; deposit: number },
): Promise<{ released: number; commission: number; deposit: number }> {
  const released = payment.amount - payment.refundedAmount;
  if (released <= 0) return { released: 0, commission: 0, deposit: 0 };
  const deposit = Math.min(split.deposit, released);
  const rent = released - deposit;
  const payee = owner(payment);
  const commission = payee ? percentOf({ amount: rent, currency: payment.currency }, split.commissionBps).amount : 0;
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Escrow of payment ${payment.providerReference ?? payment.id} released`,
    source: { type: 'payment', id: payment.id, event: 'escrow_released' },
    postings: lines(
      { account: account('2000', payment.currency, payee), amount: released },
      { account: account('2100', payment.currency, customer(payerOf(payment))), amount: -deposit },
      payee
        ? { account: account('2200', payment.currency, payee), amount: -(rent - commission) }
        : { account: account('4000', payment.currency), amount: -rent },
      { account: account('4100', payment.currency), amount: -commission },
    ),
    metadata: { commissionBps: split.commissionBps },
  });
  return { released, commission, deposit };
}

/** The account a refund of this payment is taken from, given where its money is now. */
function refundedFrom(payment: PaymentRow): AccountKey {
  if (payment.purpose === 'booking') {
    if (payment.escrowStatus !== 'released') return account('2000', payment.currency, owner(payment));
    return payment.payeeOwnerId ? account('2200', payment.currency, owner(payment)) : account('5000', payment.currency);
  }
  if (payment.purpose === 'other' && !payment.payeeOwnerId) return account('5000', payment.currency);
  return capturedInto(payment);
}

/** A refund started: its amount is set aside as payable to the customer, so nothing else spends it. */
export async function postRefundReserved(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  refund: { id: string; amount: number },
): Promise<void> {
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Refund of payment ${payment.providerReference ?? payment.id} started`,
    source: { type: 'refund', id: refund.id, event: 'created' },
    postings: [
      { account: refundedFrom(payment), amount: refund.amount },
      { account: account('2400', payment.currency, customer(payerOf(payment))), amount: -refund.amount },
    ],
  });
}

export async function postRefundSettled(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  refund: { id: string; amount: number },
): Promise<void> {
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Refund of payment ${payment.providerReference ?? payment.id} paid out`,
    source: { type: 'refund', id: refund.id, event: 'succeeded' },
    postings: [
      { account: account('2400', payment.currency, customer(payerOf(payment))), amount: refund.amount },
      { account: receivingAccount(payment), amount: -refund.amount },
    ],
  });
}

/** Undoes the entry of a source event by a reversal (a failed refund or payout gives the money back). */
export async function reverseSourceEntry(
  tx: Tx,
  caller: Caller,
  orgId: string,
  source: { type: string; id: string; event: string },
  reversal: { event: string; reason: string },
): Promise<void> {
  const entry = await entryOfSource(tx, orgId, source);
  if (!entry) return;
  const already = await entryOfSource(tx, orgId, { type: source.type, id: source.id, event: reversal.event });
  if (already) return;
  await reverseEntry(tx, caller, {
    orgId,
    entryId: entry.id,
    reason: reversal.reason,
    source: { type: source.type, id: source.id, event: reversal.event },
  });
}

/**
 * A bank debit returned after it succeeded: money held in escrow goes back by reversal of the
 * capture; money already released is taken back from the owner's payable (or the organization's income).
 */
export async function postReturn(tx: Tx, caller: Caller, payment: PaymentRow, reason: string): Promise<void> {
  if (payment.purpose !== 'booking' || payment.escrowStatus !== 'released') {
    await reverseSourceEntry(
      tx,
      caller,
      payment.orgId,
      { type: 'payment', id: payment.id, event: 'succeeded' },
      { event: 'returned', reason },
    );
    return;
  }
  const amount = payment.amount - payment.refundedAmount;
  if (amount <= 0) return;
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Payment ${payment.providerReference ?? payment.id} returned by the bank: ${reason}`,
    source: { type: 'payment', id: payment.id, event: 'returned' },
    postings: [
      {
        account: payment.payeeOwnerId ? account('2200', payment.currency, owner(payment)) : account('4000', payment.currency),
        amount,
      },
      { account: receivingAccount(payment), amount: -amount },
    ],
  });
}

const payoutAccounts = (payout: { ownerId: string; currency: string }) => ({
  payable: account('2200', payout.currency, { type: 'owner', id: payout.ownerId }),
  inTransit: account('2300', payout.currency, { type: 'owner', id: payout.ownerId }),
});

export async function postPayoutRequested(
  tx: Tx,
  caller: Caller,
  payout: { id: string; orgId: string; ownerId: string; amount: number; currency: string },
): Promise<void> {
  const { payable, inTransit } = payoutAccounts(payout);
  await postEntry(tx, caller, {
    orgId: payout.orgId,
    description: 'Payout to the owner requested',
    source: { type: 'payout', id: payout.id, event: 'requested' },
    postings: [
      { account: payable, amount: payout.amount },
      { account: inTransit, amount: -payout.amount },
    ],
  });
}

export async function postPayoutSettled(
  tx: Tx,
  caller: Caller,
  payout: { id: string; orgId: string; ownerId: string; amount: number; currency: string; provider: string },
): Promise<void> {
  const { inTransit } = payoutAccounts(payout);
  await postEntry(tx, caller, {
    orgId: payout.orgId,
    description: 'Payout to the owner paid',
    source: { type: 'payout', id: payout.id, event: 'succeeded' },
    postings: [
      { account: inTransit, amount: payout.amount },
      { account: account('1100', payout.currency, { type: 'provider', id: payout.provider }), amount: -payout.amount },
    ],
  });
}
