import type { Queryable } from '../../platform/db/database.ts';
import { partyAccounts, partyPostings } from '../ledger/index.ts';

/**
 * An owner's wallet is what the ledger says of them, not a number kept apart: available is their
 * payable (credit side), pending the escrow held for their properties' stays, in transit the
 * payouts on their way. Its transactions are the postings on those accounts.
 */
const balanceOfCode = { '2200': 'available', '2000': 'pending', '2300': 'in_transit' } as const;
type WalletCode = keyof typeof balanceOfCode;
const isWalletCode = (code: string): code is WalletCode => code in balanceOfCode;

export async function walletOf(db: Queryable, orgId: string, ownerId: string) {
  const accounts = await partyAccounts(db, orgId, { type: 'owner', id: ownerId });
  const byCurrency = new Map<string, { currency: string; available: number; pending: number; inTransit: number }>();
  for (const account of accounts) {
    if (!isWalletCode(account.code)) continue;
    const entry = byCurrency.get(account.currency) ?? { currency: account.currency, available: 0, pending: 0, inTransit: 0 };
    // Liabilities to the owner: credits minus debits.
    const amount = -account.balance;
    if (account.code === '2200') entry.available += amount;
    if (account.code === '2000') entry.pending += amount;
    if (account.code === '2300') entry.inTransit += amount;
    byCurrency.set(account.currency, entry);
  }
  return { ownerId, balances: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)) };
}

type TransactionType =
  'booking_payment' | 'escrow_release' | 'refund' | 'refund_reversal' | 'payout' | 'payout_reversal' | 'return' | 'adjustment';

function typeOf(sourceType: string, sourceEvent: string): TransactionType {
  const key = `${sourceType}.${sourceEvent}`;
  const types: Record<string, TransactionType> = {
    'payment.succeeded': 'booking_payment',
    'payment.escrow_released': 'escrow_release',
    'payment.returned': 'return',
    'refund.created': 'refund',
    'refund.failed': 'refund_reversal',
    'payout.requested': 'payout',
    'payout.failed': 'payout_reversal',
  };
  return types[key] ?? 'adjustment';
}

export async function transactionsOf(db: Queryable, orgId: string, ownerId: string, page: { limit: number; offset: number }) {
  const { data, total } = await partyPostings(db, orgId, { type: 'owner', id: ownerId }, page);
  return {
    total,
    data: data
      .filter((posting) => isWalletCode(posting.code))
      .map((posting) => ({
        id: posting.id,
        entryId: posting.entryId,
        type: typeOf(posting.sourceType, posting.sourceEvent),
        balance: balanceOfCode[posting.code as WalletCode],
        amount: -posting.amount,
        currency: posting.currency,
        description: posting.description,
        sourceType: posting.sourceType,
        sourceId: posting.sourceId,
        occurredAt: posting.createdAt.toISOString(),
      })),
  };
}
