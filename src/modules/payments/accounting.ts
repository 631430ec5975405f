import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { allocate, percentOf } from '../../platform/money.ts';
import { type AccountKey, accountBalance, entryOfSource, type PostingLine, postEntry, reverseEntry } from '../ledger/index.ts';
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

/** An entry that moves `amount` from one account (credited) to another (debited). */
async function postMove(
  tx: Tx,
  caller: Caller,
  move: {
    orgId: string;
    description: string;
    source: { type: string; id: string; event: string };
    debit: AccountKey;
    credit: AccountKey;
    amount: number;
  },
): Promise<void> {
  await postEntry(tx, caller, {
    orgId: move.orgId,
    description: move.description,
    source: move.source,
    postings: [
      { account: move.debit, amount: move.amount },
      { account: move.credit, amount: -move.amount },
    ],
  });
}

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

export interface ReleaseSplit {
  commissionBps: number;
  /** The part of the payment that is a security deposit, held for the customer rather than released. */
  deposit: number;
}

/** Where `amount` of a booking payment goes when escrow releases it: its deposit part to deposits held, the rent to the owner net of commission (or to income for the organization's own property). */
function releaseCredits(
  payment: PaymentRow,
  amount: number,
  split: ReleaseSplit,
): { lines: PostingLine[]; commission: number; deposit: number } {
  const deposit = Math.min(split.deposit, amount);
  const rent = amount - deposit;
  const payee = owner(payment);
  const commission = payee ? percentOf({ amount: rent, currency: payment.currency }, split.commissionBps).amount : 0;
  return {
    commission,
    deposit,
    lines: [
      { account: account('2100', payment.currency, customer(payerOf(payment))), amount: -deposit },
      payee
        ? { account: account('2200', payment.currency, payee), amount: -(rent - commission) }
        : { account: account('4000', payment.currency), amount: -rent },
      { account: account('4100', payment.currency), amount: -commission },
    ],
  };
}

/** Releases `amount` of a booking payment's escrow, as the source says (the payment's release, or a failed refund's money coming back). */
export async function postEscrowReleaseOf(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  amount: number,
  split: ReleaseSplit,
  source: { type: string; id: string; event: string },
): Promise<{ released: number; commission: number; deposit: number }> {
  if (amount <= 0) return { released: 0, commission: 0, deposit: 0 };
  const credits = releaseCredits(payment, amount, split);
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Escrow of payment ${payment.providerReference ?? payment.id} released`,
    source,
    postings: lines({ account: account('2000', payment.currency, owner(payment)), amount }, ...credits.lines),
    metadata: { commissionBps: split.commissionBps },
  });
  return { released: amount, commission: credits.commission, deposit: credits.deposit };
}

/**
 * Escrow released: what remains of the payment goes to the owner's payable net of the
 * organization's commission (or to rental income for the organization's own property), with a
 * monthly stay's or lease's deposit moved to deposits held.
 */
export function postEscrowRelease(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  split: ReleaseSplit,
): Promise<{ released: number; commission: number; deposit: number }> {
  return postEscrowReleaseOf(tx, caller, payment, payment.amount - payment.refundedAmount, split, {
    type: 'payment',
    id: payment.id,
    event: 'escrow_released',
  });
}

/**
 * Taking back `amount` of a booking payment already released (a refund, a bank return): from where
 * the release put it, in proportion — the owner's payable, the commission, the deposit. The owner's
 * share is taken only as far as their available balance goes (they may have been paid out); the
 * organization bears the rest as refunds and goodwill.
 */
async function takeBackReleased(tx: Tx, payment: PaymentRow, amount: number): Promise<PostingLine[]> {
  const release = await entryOfSource(tx, payment.orgId, { type: 'payment', id: payment.id, event: 'escrow_released' });
  const parts = (release?.postings ?? []).filter((posting) => posting.amount < 0);
  if (parts.length === 0) return [{ account: account('5000', payment.currency), amount }];
  const shares = allocate(
    { amount, currency: payment.currency },
    parts.map((part) => -part.amount),
  );
  const taken: PostingLine[] = [];
  let borne = 0;
  for (const [index, part] of parts.entries()) {
    const key = account(part.code, part.currency, part.party);
    const share = shares[index]!.amount;
    if (part.code !== '2200') {
      taken.push({ account: key, amount: share });
      continue;
    }
    const available = Math.max(0, -(await accountBalance(tx, payment.orgId, key, { lock: true })));
    const fromOwner = Math.min(share, available);
    taken.push({ account: key, amount: fromOwner });
    borne += share - fromOwner;
  }
  return lines(...taken, { account: account('5000', payment.currency), amount: borne });
}

/** Where `amount` of a payment is taken from to give it back, given where its money is now. */
async function debitsToGiveBack(tx: Tx, payment: PaymentRow, amount: number): Promise<PostingLine[]> {
  if (payment.purpose === 'booking') {
    if (payment.escrowStatus === 'released') return takeBackReleased(tx, payment, amount);
    return [{ account: account('2000', payment.currency, owner(payment)), amount }];
  }
  if (payment.purpose === 'other' && !payment.payeeOwnerId) return [{ account: account('5000', payment.currency), amount }];
  return [{ account: capturedInto(payment), amount }];
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
      ...(await debitsToGiveBack(tx, payment, refund.amount)),
      { account: account('2400', payment.currency, customer(payerOf(payment))), amount: -refund.amount },
    ],
  });
}

export function postRefundSettled(tx: Tx, caller: Caller, payment: PaymentRow, refund: { id: string; amount: number }): Promise<void> {
  return postMove(tx, caller, {
    orgId: payment.orgId,
    description: `Refund of payment ${payment.providerReference ?? payment.id} paid out`,
    source: { type: 'refund', id: refund.id, event: 'succeeded' },
    debit: account('2400', payment.currency, customer(payerOf(payment))),
    credit: receivingAccount(payment),
    amount: refund.amount,
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
 * A bank debit returned after it succeeded: the bank takes the whole amount back. What the payment
 * still keeps comes back from where it is (escrow, or the release's parts); what was already
 * refunded to the customer, they now owe (a receivable).
 */
export async function postReturn(tx: Tx, caller: Caller, payment: PaymentRow, reason: string): Promise<void> {
  const kept = payment.amount - payment.refundedAmount;
  await postEntry(tx, caller, {
    orgId: payment.orgId,
    description: `Payment ${payment.providerReference ?? payment.id} returned by the bank: ${reason}`,
    source: { type: 'payment', id: payment.id, event: 'returned' },
    postings: lines(
      ...(kept > 0 ? await debitsToGiveBack(tx, payment, kept) : []),
      { account: account('1200', payment.currency, customer(payerOf(payment))), amount: payment.refundedAmount },
      { account: receivingAccount(payment), amount: -payment.amount },
    ),
  });
}

/** A refund that failed after its payment was returned: the customer owes it no longer. */
export function postRefundFailedAfterReturn(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  refund: { id: string; amount: number },
): Promise<void> {
  const payer = customer(payerOf(payment));
  return postMove(tx, caller, {
    orgId: payment.orgId,
    description: `Refund of returned payment ${payment.providerReference ?? payment.id} failed`,
    source: { type: 'refund', id: refund.id, event: 'failed' },
    debit: account('2400', payment.currency, payer),
    credit: account('1200', payment.currency, payer),
    amount: refund.amount,
  });
}

/** Whether a refund's reservation was taken from escrow (rather than from a release's parts). */
export async function refundReservedFromEscrow(tx: Tx, orgId: string, refundId: string): Promise<boolean> {
  const reserved = await entryOfSource(tx, orgId, { type: 'refund', id: refundId, event: 'created' });
  return reserved?.postings.some((posting) => posting.code === '2000' && posting.amount > 0) ?? false;
}

const payoutAccounts = (payout: { ownerId: string; currency: string }) => ({
  payable: account('2200', payout.currency, { type: 'owner', id: payout.ownerId }),
  inTransit: account('2300', payout.currency, { type: 'owner', id: payout.ownerId }),
});

export function postPayoutRequested(
  tx: Tx,
  caller: Caller,
  payout: { id: string; orgId: string; ownerId: string; amount: number; currency: string },
): Promise<void> {
  const { payable, inTransit } = payoutAccounts(payout);
  return postMove(tx, caller, {
    orgId: payout.orgId,
    description: 'Payout to the owner requested',
    source: { type: 'payout', id: payout.id, event: 'requested' },
    debit: payable,
    credit: inTransit,
    amount: payout.amount,
  });
}

export function postPayoutSettled(
  tx: Tx,
  caller: Caller,
  payout: { id: string; orgId: string; ownerId: string; amount: number; currency: string; provider: string },
): Promise<void> {
  return postMove(tx, caller, {
    orgId: payout.orgId,
    description: 'Payout to the owner paid',
    source: { type: 'payout', id: payout.id, event: 'succeeded' },
    debit: payoutAccounts(payout).inTransit,
    credit: account('1100', payout.currency, { type: 'provider', id: payout.provider }),
    amount: payout.amount,
  });
}
