import type { Database } from '../../platform/db/database.ts';
import type { JobDefinition } from '../../platform/jobs/jobs.ts';
import { paymentsContext, type PaymentsContext } from './context.ts';
import type { WebhookDelivery } from './providers/port.ts';
import { type SandboxEvent, type ScriptStep, sandboxSignatureHeader } from './providers/sandbox.ts';
import { signatureHeader } from './providers/signature.ts';
import { receiveWebhook } from './webhooks.ts';

/**
 * The sandbox's outbox: each operation's script of reports, delivered in order when due, as a
 * signed webhook through `receiveWebhook` — the path every provider's webhooks take. A delivery
 * that fails stays due and is tried again; the replay store makes a repeat harmless.
 */

export interface SandboxDeliveryOptions {
  /** The sandbox's clock: tests move it forward instead of waiting. */
  now?: Date;
  /** Where deliveries go; the webhook use case by default. */
  deliver?: (delivery: WebhookDelivery) => Promise<unknown>;
}

export async function deliverDueSandboxEvents(
  db: Database,
  context: PaymentsContext,
  options: SandboxDeliveryOptions = {},
): Promise<number> {
  const sandbox = context.providers.sandbox;
  if (!sandbox) return 0;
  const now = options.now ?? new Date();
  const deliver = options.deliver ?? ((delivery) => receiveWebhook(db, context, 'sandbox', delivery));
  let delivered = 0;
  for (;;) {
    const sent = await db.transaction().execute(async (tx) => {
      const due = await tx
        .selectFrom('sandboxOperation')
        .selectAll()
        .where('nextAt', '<=', now)
        .orderBy('nextAt')
        .limit(20)
        .forUpdate()
        .skipLocked()
        .execute();
      for (const operation of due) {
        const script = operation.script as unknown as ScriptStep[];
        const step = script[operation.delivered]!;
        const event: SandboxEvent = {
          id: `sbx_evt_${operation.id.replaceAll('-', '')}_${operation.delivered + 1}`,
          type: `${operation.objectType}.${step.status}`,
          created: Math.floor(now.getTime() / 1000),
          data: {
            object: operation.objectType as SandboxEvent['data']['object'],
            reference: operation.reference,
            status: step.status,
            amount: operation.amount,
            currency: operation.currency,
            failure: step.failure ?? null,
            receiptNumber: step.receiptNumber ?? null,
          },
        };
        const rawBody = Buffer.from(JSON.stringify(event));
        await deliver({
          headers: {
            [sandboxSignatureHeader]: signatureHeader(sandbox.webhookSecrets.slice(0, 1), rawBody, now),
            'content-type': 'application/json',
          },
          rawBody,
          searchParams: new URLSearchParams(),
          now,
        });
        const next = script[operation.delivered + 1];
        await tx
          .updateTable('sandboxOperation')
          .set({
            delivered: operation.delivered + 1,
            nextAt: next ? new Date(operation.createdAt.getTime() + next.afterSeconds * sandbox.timeScale * 1000) : null,
          })
          .where('id', '=', operation.id)
          .execute();
      }
      return due.length;
    });
    delivered += sent;
    if (sent === 0) return delivered;
  }
}

/** Whether the sandbox still has reports to send. */
async function pending(db: Database): Promise<Date | undefined> {
  const row = await db
    .selectFrom('sandboxOperation')
    .select((eb) => eb.fn.min('nextAt').as('next'))
    .executeTakeFirst();
  return (row?.next as Date | null) ?? undefined;
}

/**
 * Every minute, and while reports are pending it keeps delivering them as they fall due (for up to
 * 55 s), so the sandbox's seconds-long rails feel like a real provider's.
 */
export const sandboxDeliveryJob: JobDefinition = {
  name: 'payments.sandbox.deliver.v1',
  schedule: '* * * * *',
  async handle(_payload, { db, config, logger }) {
    const context = paymentsContext(config);
    if (!context.providers.sandbox) return;
    const stopAt = Date.now() + 55_000;
    while (Date.now() < stopAt) {
      const delivered = await deliverDueSandboxEvents(db, context);
      if (delivered > 0) logger.debug({ delivered }, 'sandbox webhooks delivered');
      const next = await pending(db);
      if (!next) return;
      const wait = Math.min(Math.max(next.getTime() - Date.now(), 200), 1000, stopAt - Date.now());
      if (wait <= 0) return;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  },
};
