import { systemCaller } from '../../platform/audit/change.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { withTenant } from '../../platform/db/tenant.ts';
import { uuidFromName } from '../../platform/ids.ts';
import type { PaymentsContext } from './context.ts';
import { paymentErrors } from './errors.ts';
import { applyPaymentReport } from './outcomes.ts';
import { applyPayoutReport, payoutById } from './payouts.ts';
import {
  type ProviderName,
  type ProviderNotification,
  ProviderUnavailable,
  type WebhookDelivery,
  WebhookRejected,
} from './providers/port.ts';
import { applyRefundReport, refundById } from './refunds.ts';
import type { TransferStatus } from './state-machine.ts';
import { claimWebhookEvent, findProviderReference, paymentById, settleWebhookEvent } from './store.ts';

/**
 * Webhooks in (`POST /v1/webhooks/payments/:provider`). The delivery is verified — signature over
 * the raw bytes, timestamp within tolerance — before anything in it is read; a provider whose
 * deliveries are unsigned (M-Pesa) is asked itself and its answer used instead. Then each event
 * is applied in one transaction with its id written to the replay store, so a redelivered event is
 * acknowledged and ignored, and any order of deliveries finalises a payment once.
 */
export interface WebhookResult {
  received: number;
  applied: number;
  duplicates: number;
  unmatched: number;
}

export async function receiveWebhook(
  db: Database,
  context: PaymentsContext,
  name: string,
  delivery: WebhookDelivery,
): Promise<WebhookResult> {
  if (!context.providers.has(name)) throw paymentErrors.raise('unknown_provider', `No ${name} provider takes webhooks here`);
  const provider = context.providers.get(name, null);
  let notifications: ProviderNotification[];
  try {
    notifications = provider.verifyWebhook(delivery);
  } catch (error) {
    if (error instanceof WebhookRejected) throw paymentErrors.raise('webhook_rejected', `${error.code}: ${error.message}`);
    throw error;
  }
  const result: WebhookResult = { received: notifications.length, applied: 0, duplicates: 0, unmatched: 0 };
  for (const notification of notifications) {
    let confirmed = notification;
    try {
      if (provider.confirm) confirmed = await provider.confirm(notification);
    } catch (error) {
      // The provider retries an unacknowledged delivery: answer 503 and confirm it then.
      if (error instanceof ProviderUnavailable) throw paymentErrors.raise('provider_unavailable', error.message);
      throw error;
    }
    const outcome = await db.transaction().execute((tx) => applyNotification(tx, context, name, confirmed));
    result[outcome] += 1;
  }
  return result;
}

const transferStatus: Record<ProviderNotification['status'], TransferStatus> = {
  pending: 'pending',
  requires_action: 'processing',
  processing: 'processing',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  returned: 'failed',
};

/** Applies one provider report, once: its event id goes to the replay store in the same transaction. */
export async function applyNotification(
  tx: Tx,
  context: PaymentsContext,
  name: ProviderName,
  notification: ProviderNotification,
): Promise<'applied' | 'duplicates' | 'unmatched'> {
  await withTenant(tx, null);
  if (!(await claimWebhookEvent(tx, name, notification.eventId, notification.eventType))) return 'duplicates';
  const target = await findProviderReference(tx, name, notification.providerReference);
  if (!target) return 'unmatched';
  await withTenant(tx, target.orgId);
  const caller = systemCaller(target.orgId, { correlationId: uuidFromName('webhook', name, notification.eventId) });
  let applied = false;
  if (target.objectType === 'payment') {
    const payment = await paymentById(tx, target.objectId, { forUpdate: true });
    if (payment) {
      const report = {
        status: notification.status,
        failure: notification.failure,
        receiptNumber: notification.receiptNumber,
        provider: name,
        eventType: notification.eventType,
      };
      applied = (await applyPaymentReport(tx, caller, payment, report, context)).applied;
    }
  } else if (target.objectType === 'refund') {
    const refund = await refundById(tx, target.objectId, { forUpdate: true });
    if (refund) {
      const report = { status: transferStatus[notification.status], failure: notification.failure };
      applied = (await applyRefundReport(tx, caller, refund, report, context)).applied;
    }
  } else {
    const payout = await payoutById(tx, target.objectId, { forUpdate: true });
    if (payout)
      applied = (
        await applyPayoutReport(tx, caller, payout, { status: transferStatus[notification.status], failure: notification.failure })
      ).applied;
  }
  await settleWebhookEvent(tx, name, notification.eventId, {
    outcome: applied ? 'applied' : 'ignored',
    orgId: target.orgId,
    objectType: target.objectType,
    objectId: target.objectId,
  });
  return 'applied';
}
