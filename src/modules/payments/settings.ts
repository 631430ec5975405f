import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { PaymentsContext } from './context.ts';

/**
 * An organization's money rules: its own when it set them (`PUT /v1/payment-settings`), the
 * installation's defaults otherwise. Read in the transaction that applies them, so a change
 * applies from the next release or check-in on.
 */
export interface MoneyRules {
  /** The organization's commission on booking revenue released from escrow, in basis points. */
  commissionBps: number;
  /** How long after check-in a booking payment stays in escrow. */
  escrowReleaseGraceHours: number;
  /** Whether these are the organization's own, or the defaults. */
  own: boolean;
}

export async function moneyRules(
  db: Queryable,
  orgId: string,
  context: Pick<PaymentsContext, 'commissionBps' | 'escrowGraceHours'>,
): Promise<MoneyRules> {
  const row = await db.selectFrom('paymentSettings').selectAll().where('orgId', '=', orgId).executeTakeFirst();
  return row
    ? { commissionBps: row.commissionBps, escrowReleaseGraceHours: row.escrowReleaseGraceHours, own: true }
    : { commissionBps: context.commissionBps, escrowReleaseGraceHours: context.escrowGraceHours, own: false };
}

export async function setMoneyRules(
  tx: Tx,
  caller: Caller,
  orgId: string,
  rules: Omit<MoneyRules, 'own'>,
  context: Pick<PaymentsContext, 'commissionBps' | 'escrowGraceHours'>,
): Promise<MoneyRules> {
  const before = await moneyRules(tx, orgId, context);
  await tx
    .insertInto('paymentSettings')
    .values({ orgId, ...rules, updatedBy: caller.userId })
    .onConflict((conflict) => conflict.column('orgId').doUpdateSet({ ...rules, updatedBy: caller.userId, updatedAt: new Date() }))
    .execute();
  const after = { ...rules, own: true };
  await recordChange(tx, caller, {
    orgId,
    action: 'UPDATE',
    entityType: 'payment_settings',
    entityId: orgId,
    before: { ...before },
    after,
    event: { type: 'payment_settings.updated', source: 'payments', data: after },
  });
  return after;
}
