import { sql } from 'kysely';
import { type Caller, systemCaller } from '../../platform/audit/change.ts';
import type { Config } from '../../platform/config.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import type { EventSubscriber } from '../../platform/events/subscriber.ts';
import type { JobDefinition } from '../../platform/jobs/jobs.ts';
import { bookingFacts } from '../bookings/index.ts';
import { postEscrowRelease } from './accounting.ts';
import { type PaymentsContext, paymentsContext } from './context.ts';
import { recordPaymentChange } from './history.ts';
import { moneyRules } from './settings.ts';
import { startRefund } from './refunds.ts';
import { type PaymentRow, paymentsDueForRelease, paymentsOfBooking } from './store.ts';

/**
 * Escrow: a captured booking payment is held until the guest has checked in and a grace period
 * has passed (the organization's grace, ESCROW_RELEASE_GRACE_HOURS by default), then released to the owner's payable net of the
 * organization's commission. A cancellation refunds what the booking's policy says and releases the
 * rest (the penalty) at once; a no-show releases it all.
 */

/** Releases a locked payment held in escrow (what refunds have not taken). */
export async function releaseEscrow(
  tx: Tx,
  caller: Caller,
  payment: PaymentRow,
  context: PaymentsContext,
  reason: string,
): Promise<PaymentRow> {
  // Nothing left to release: the refunds took it all, and the last one to settle marks it refunded.
  if (payment.escrowStatus !== 'held' || payment.refundedAmount >= payment.amount) return payment;
  const booking = payment.bookingId ? await bookingFacts(tx, payment.bookingId) : undefined;
  // A cancelled stay keeps no deposit: the penalty is the owner's.
  const deposit = booking && booking.status !== 'cancelled' ? booking.priceBreakdown.totals.deposit : 0;
  const { commissionBps } = await moneyRules(tx, payment.orgId, context);
  const split = await postEscrowRelease(tx, caller, payment, { commissionBps, deposit });
  return recordPaymentChange(
    tx,
    caller,
    payment,
    { escrowStatus: 'released', escrowReleaseDueAt: null },
    { type: 'escrow_released', reason, data: split, publish: 'payment.escrow_released' },
  );
}

/** Releases every payment whose release is due, organization by organization. */
export async function releaseDueEscrow(db: Database, context: PaymentsContext, now = new Date()): Promise<number> {
  const { rows } = await sql<{ orgId: string }>`SELECT org_id FROM payments_escrow_due_organizations(${now})`.execute(db);
  let released = 0;
  for (const { orgId } of rows) {
    for (;;) {
      const count = await transactionAsTenant(db, orgId, async (tx) => {
        const due = await paymentsDueForRelease(tx, now, 50);
        const caller = systemCaller(orgId, { correlationId: `escrow-release:${now.toISOString()}` });
        for (const payment of due) await releaseEscrow(tx, caller, payment, context, 'check-in grace period passed');
        return due.length;
      });
      released += count;
      if (count < 50) break;
    }
  }
  return released;
}

export const escrowReleaseJob: JobDefinition = {
  name: 'payments.escrow.release.v1',
  schedule: '*/5 * * * *',
  async handle(_payload, { db, logger, config }) {
    const released = await releaseDueEscrow(db, paymentsContext(config));
    if (released > 0) logger.info({ released }, 'escrow released to owners');
  },
};

function bookingIdOf(event: { id: string; data: Record<string, unknown> }): string {
  const { bookingId } = event.data as { bookingId?: unknown };
  if (typeof bookingId !== 'string') throw new Error(`Booking event ${event.id} names no booking`);
  return bookingId;
}

const heldPayments = async (tx: Tx, bookingId: string) =>
  (await paymentsOfBooking(tx, bookingId, { forUpdate: true })).filter((payment) => payment.escrowStatus === 'held');

/**
 * A booking cancelled (by its guest, or its hold lapsing) ends the payments still waiting for the
 * customer: each is cancelled at its provider, so it cannot succeed later. One already past
 * cancelling is left to its provider's report (a success then refunds itself: the booking lapsed).
 */
async function cancelOpenPayments(tx: Tx, bookingId: string, caller: Caller, context: PaymentsContext): Promise<void> {
  const open = (await paymentsOfBooking(tx, bookingId, { forUpdate: true })).filter(
    (payment) => payment.status === 'pending' || payment.status === 'requires_action',
  );
  for (const payment of open) {
    const provider = context.providers.get(payment.provider, tx);
    const cancelled = payment.providerReference && provider.cancel ? await provider.cancel(payment.providerReference) : true;
    if (!cancelled) continue;
    await recordPaymentChange(
      tx,
      caller,
      payment,
      { status: 'cancelled', clientAction: null },
      { type: 'cancelled', reason: 'The booking was cancelled' },
    );
  }
}

/**
 * The subscribers to the bookings' events that move escrow: check-in starts the grace period,
 * cancellation refunds by policy and releases the penalty, a no-show releases everything.
 */
export function escrowSubscribers(config: Config): EventSubscriber[] {
  const context = () => paymentsContext(config);
  return [
    {
      name: 'payments.escrow-on-check-in',
      eventTypes: ['booking.checked_in'],
      async handle(tx, event) {
        const bookingId = bookingIdOf(event);
        const booking = await bookingFacts(tx, bookingId);
        const checkedInAt = booking?.checkedInAt ?? new Date(event.timestamp);
        const caller = systemCaller(event.tenantId!, { correlationId: event.correlationId, causationId: event.id });
        const { escrowReleaseGraceHours } = await moneyRules(tx, event.tenantId!, context());
        const due = new Date(checkedInAt.getTime() + escrowReleaseGraceHours * 3_600_000);
        for (const payment of await heldPayments(tx, bookingId)) {
          await recordPaymentChange(
            tx,
            caller,
            payment,
            { escrowReleaseDueAt: due },
            { type: 'escrow_release_scheduled', data: { checkedInAt: checkedInAt.toISOString() } },
          );
        }
      },
    },
    {
      name: 'payments.refund-on-cancellation',
      eventTypes: ['booking.cancelled'],
      async handle(tx, event) {
        const bookingId = bookingIdOf(event);
        await cancelOpenPayments(
          tx,
          bookingId,
          systemCaller(event.tenantId!, { correlationId: event.correlationId, causationId: event.id }),
          context(),
        );
        const { refundAmount } = event.data as { refundAmount?: unknown };
        let toRefund = typeof refundAmount === 'number' ? refundAmount : 0;
        const caller = systemCaller(event.tenantId!, { correlationId: event.correlationId, causationId: event.id });
        for (let payment of await heldPayments(tx, bookingId)) {
          const share = Math.min(toRefund, payment.amount - payment.refundedAmount);
          if (share > 0) {
            payment = (
              await startRefund(
                tx,
                caller,
                payment,
                { amount: share, reason: 'cancellation', note: 'Refund under the booking’s cancellation policy' },
                context(),
              )
            ).payment;
            toRefund -= share;
          }
          await releaseEscrow(tx, caller, payment, context(), 'booking cancelled: the penalty goes to the owner');
        }
      },
    },
    {
      name: 'payments.release-on-no-show',
      eventTypes: ['booking.no_show'],
      async handle(tx, event) {
        const bookingId = bookingIdOf(event);
        const caller = systemCaller(event.tenantId!, { correlationId: event.correlationId, causationId: event.id });
        for (const payment of await heldPayments(tx, bookingId)) await releaseEscrow(tx, caller, payment, context(), 'guest did not show');
      },
    },
  ];
}
