import { paymentErrors } from './errors.ts';

/**
 * The payment's statuses and the moves between them: data, in one table. A bank debit returned
 * while it is processing and retried (R01, R09) stays `processing` and counts a retry; one returned
 * after it succeeded is `returned`.
 */
export const paymentStatuses = ['pending', 'requires_action', 'processing', 'succeeded', 'failed', 'cancelled', 'returned'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

const transitions: Record<PaymentStatus, readonly PaymentStatus[]> = {
  pending: ['requires_action', 'processing', 'succeeded', 'failed', 'cancelled'],
  requires_action: ['processing', 'succeeded', 'failed', 'cancelled'],
  processing: ['requires_action', 'succeeded', 'failed', 'cancelled'],
  succeeded: ['returned'],
  failed: [],
  cancelled: [],
  returned: [],
};

export const finalStatuses: readonly PaymentStatus[] = ['succeeded', 'failed', 'cancelled', 'returned'];

export function canMove(from: PaymentStatus, to: PaymentStatus): boolean {
  return transitions[from].includes(to);
}

export function requireMove(from: PaymentStatus, to: PaymentStatus): void {
  if (!canMove(from, to)) throw paymentErrors.raise('illegal_transition', `A ${from} payment cannot become ${to}`);
}

/** Refunds, payouts: pending → processing → succeeded | failed (or cancelled before processing). */
export const transferStatuses = ['pending', 'processing', 'succeeded', 'failed', 'cancelled'] as const;
export type TransferStatus = (typeof transferStatuses)[number];

const transferTransitions: Record<TransferStatus, readonly TransferStatus[]> = {
  pending: ['processing', 'succeeded', 'failed', 'cancelled'],
  processing: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function canMoveTransfer(from: TransferStatus, to: TransferStatus): boolean {
  return transferTransitions[from].includes(to);
}
