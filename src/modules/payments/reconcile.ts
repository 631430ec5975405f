import type { Database } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import type { JobDefinition } from '../../platform/jobs/jobs.ts';
import { allOrganizationIds } from '../organizations/index.ts';
import { type PaymentsContext, paymentsContext } from './context.ts';
import { ProviderUnavailable } from './providers/port.ts';
import { applyNotification } from './webhooks.ts';

/**
 * Reports that never came. M-Pesa's callbacks sometimes never arrive, and any provider's webhook
 * can be lost: a payment still waiting for its provider after a few minutes is asked about
 * (`retrieve`), and the answer is applied like a webhook — through the replay store, so an answer
 * applied once is never applied again.
 */
export async function reconcileWaitingPayments(
  db: Database,
  context: PaymentsContext,
  options: { now?: Date; waitingForMinutes?: number } = {},
): Promise<{ asked: number; applied: number }> {
  const now = options.now ?? new Date();
  const before = new Date(now.getTime() - (options.waitingForMinutes ?? 5) * 60_000);
  let asked = 0;
  let applied = 0;
  for (const orgId of await allOrganizationIds(db)) {
    const waiting = await transactionAsTenant(
      db,
      orgId,
      (tx) =>
        tx
          .selectFrom('payment')
          .select(['id', 'provider', 'providerReference'])
          .where('status', 'in', ['processing', 'requires_action'])
          .where('provider', 'in', ['stripe', 'mpesa'])
          .where('providerReference', 'is not', null)
          .where('updatedAt', '<', before)
          .orderBy('updatedAt')
          .limit(100)
          .execute(),
      { readOnly: true },
    );
    for (const payment of waiting) {
      const name = payment.provider;
      if (!context.providers.has(name)) continue;
      const provider = context.providers.get(name, null);
      if (!provider.retrieve) continue;
      asked += 1;
      try {
        const report = await provider.retrieve(payment.providerReference!);
        if (!report) continue;
        const outcome = await db.transaction().execute((tx) => applyNotification(tx, context, name, report));
        if (outcome === 'applied') applied += 1;
      } catch (error) {
        // One provider being down does not stop the others; the next run asks again.
        if (!(error instanceof ProviderUnavailable)) throw error;
      }
    }
  }
  return { asked, applied };
}

export const reconcileJob: JobDefinition = {
  name: 'payments.reconcile.v1',
  schedule: '*/5 * * * *',
  async handle(_payload, { db, logger, config }) {
    const result = await reconcileWaitingPayments(db, paymentsContext(config));
    if (result.asked > 0) logger.info(result, 'payments waiting for their provider were asked about');
  },
};
