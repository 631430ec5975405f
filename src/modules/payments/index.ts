import type { TenureModule } from '../../platform/module.ts';
import { escrowReleaseJob, escrowSubscribers } from './escrow.ts';
import { reconcileJob } from './reconcile.ts';
import { paymentsRoutes } from './routes.ts';
import { sandboxDeliveryJob } from './sandbox-delivery.ts';

/**
 * Payments (docs/payments.md): money in (payments with their event-sourced history, through the
 * sandbox, Stripe, M-Pesa, bank rails, or cash and cheques recorded by staff), webhooks in, escrow
 * of booking payments, refunds, bank accounts, payouts to owners and their wallet — each movement
 * posted to the ledger in the transaction that makes it.
 */
export { deliverDueSandboxEvents } from './sandbox-delivery.ts';
export { releaseDueEscrow } from './escrow.ts';
/** What those two need: the providers and the money rules of a configuration. */
export { paymentsContext, type PaymentsContext } from './context.ts';
export { reconcileWaitingPayments } from './reconcile.ts';

export const paymentsModule: TenureModule = {
  name: 'payments',
  routes: paymentsRoutes,
  subscribers: (config) => escrowSubscribers(config),
  jobs: [sandboxDeliveryJob, escrowReleaseJob, reconcileJob],
};
