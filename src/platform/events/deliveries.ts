import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Database, Queryable, Tx } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import type { EventEnvelope } from './envelope.ts';
import type { EventSubscriber } from './subscriber.ts';

/**
 * The mechanics every transport shares: claiming committed outbox rows, the inbox that makes a
 * subscriber's effect happen once, and the retry and parking of a failed delivery.
 */

/** How failed deliveries are retried, from the configuration. */
export interface RetryPolicy {
  maxAttempts: number;
  retryBaseMs: number;
}

export type HandlingOutcome = 'handled' | 'duplicate' | 'failed' | 'parked' | 'queued';

/** What handling a delivery needs, whatever the transport. */
export interface HandlingContext {
  db: Database;
  logger: Logger;
  policy: RetryPolicy;
  outcomes: Counter<'subscriber' | 'outcome'>;
}

const maxRetryDelayMs = 3_600_000;
const maxErrorLength = 2000;
/** Any constant will do; it only has to be the same for every instance of Tenure. */
const RELAY_LOCK_ID = 7_320_913_002;

export function orderingKeyOf(aggregate: { type: string; id: string }): string {
  return `${aggregate.type}:${aggregate.id}`;
}

/** Exponential backoff with jitter: half the delay is fixed, half random, so retries spread out. */
export function retryDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(maxRetryDelayMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + (exponential / 2) * random());
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > maxErrorLength ? `${text.slice(0, maxErrorLength - 1)}…` : text;
}

export interface UnrelayedEvent {
  seq: number;
  id: string;
  type: string;
  aggregateType: string;
  aggregateId: string;
  envelope: EventEnvelope;
}

/**
 * Claims the oldest committed, unrelayed outbox rows in the caller's transaction. A transaction
 * advisory lock lets one relay at a time work: with two relays claiming side by side (`SKIP LOCKED`
 * alone), a later batch could commit its deliveries before an earlier one and an aggregate's later
 * event would overtake its earlier event. Another relay that finds the lock taken simply skips.
 */
export async function claimUnrelayedEvents(tx: Tx, batchSize: number): Promise<UnrelayedEvent[]> {
  const { rows } = await sql<{ acquired: boolean }>`SELECT pg_try_advisory_xact_lock(${RELAY_LOCK_ID}) AS acquired`.execute(tx);
  if (!rows[0]?.acquired) return [];
  const events = await tx
    .selectFrom('outboxEvent')
    .select(['seq', 'id', 'type', 'aggregateType', 'aggregateId', 'envelope'])
    .where('relayedAt', 'is', null)
    .orderBy('seq')
    .limit(batchSize)
    .forUpdate()
    .skipLocked()
    .execute();
  return events.map((event) => ({ ...event, envelope: event.envelope as unknown as EventEnvelope }));
}

export async function markRelayed(tx: Tx, events: UnrelayedEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx
    .updateTable('outboxEvent')
    .set({ relayedAt: sql<Date>`now()` })
    .where(
      'seq',
      'in',
      events.map((event) => event.seq),
    )
    .execute();
}

/**
 * Records the event in the subscriber's inbox and, only if it was not there yet, applies the
 * subscriber's effect, all in the caller's transaction: a repeated delivery has no second effect.
 */
export async function handleOnce(tx: Tx, subscriber: EventSubscriber, envelope: EventEnvelope): Promise<'handled' | 'duplicate'> {
  const inserted = await tx
    .insertInto('eventInbox')
    .values({ subscriber: subscriber.name, eventId: envelope.id })
    .onConflict((conflict) => conflict.columns(['subscriber', 'eventId']).doNothing())
    .executeTakeFirst();
  if (inserted.numInsertedOrUpdatedRows === 0n) return 'duplicate';
  await handleAsTenant(tx, subscriber, envelope);
  return 'handled';
}

/**
 * Runs the subscriber's handler acting for the event's organization (its envelope's `tenantId`),
 * so row-level security shows it that organization's rows only, as it did the publisher.
 */
export async function handleAsTenant(tx: Tx, subscriber: EventSubscriber, envelope: EventEnvelope): Promise<void> {
  await withTenant(tx, envelope.tenantId);
  await subscriber.handle(tx, envelope);
}

export function eventLogger(logger: Logger, subscriber: EventSubscriber, envelope: EventEnvelope): Logger {
  return logger.child({
    subscriber: subscriber.name,
    eventId: envelope.id,
    eventType: envelope.type,
    correlationId: envelope.correlationId,
  });
}

/** What a failed attempt leads to: a retry after a backoff, or parking once attempts run out. */
export function failedAttempt(previousAttempts: number, policy: RetryPolicy): { attempts: number; parked: boolean; delaySeconds: number } {
  const attempts = previousAttempts + 1;
  return { attempts, parked: attempts >= policy.maxAttempts, delaySeconds: retryDelayMs(attempts, policy.retryBaseMs) / 1000 };
}

/**
 * Counts a failed attempt of a pending delivery: it is retried after a backoff, or parked once it
 * has failed `maxAttempts` times. Returns whether it is now parked.
 */
export async function recordFailedAttempt(
  db: Queryable,
  delivery: { subscriber: string; eventId: string; attempts: number },
  error: unknown,
  policy: RetryPolicy,
): Promise<boolean> {
  const next = failedAttempt(delivery.attempts, policy);
  await db
    .updateTable('eventDelivery')
    .set({
      attempts: next.attempts,
      lastError: errorText(error),
      status: next.parked ? 'parked' : 'pending',
      parkedAt: next.parked ? sql<Date>`clock_timestamp()` : null,
      nextAttemptAt: sql<Date>`clock_timestamp() + make_interval(secs => ${next.delaySeconds})`,
    })
    .where('subscriber', '=', delivery.subscriber)
    .where('eventId', '=', delivery.eventId)
    .execute();
  return next.parked;
}

/** Where a delivery of one event to one subscriber stands, for transports that keep it elsewhere. */
export interface DeliveryRecord {
  subscriber: string;
  envelope: EventEnvelope;
  eventSeq: number;
}

/** Parks a delivery that a transport (NATS) carried, so operators see it and can re-drive it. */
export async function parkDelivery(db: Queryable, delivery: DeliveryRecord, attempts: number, error: unknown): Promise<void> {
  await db
    .insertInto('eventDelivery')
    .values({
      subscriber: delivery.subscriber,
      eventId: delivery.envelope.id,
      eventSeq: delivery.eventSeq,
      orderingKey: orderingKeyOf(delivery.envelope.aggregate),
      status: 'parked',
      attempts,
      lastError: errorText(error),
      parkedAt: sql<Date>`clock_timestamp()`,
    })
    .onConflict((conflict) =>
      conflict.columns(['subscriber', 'eventId']).doUpdateSet((eb) => ({
        status: 'parked',
        attempts: eb.ref('excluded.attempts'),
        lastError: eb.ref('excluded.lastError'),
        parkedAt: eb.ref('excluded.parkedAt'),
      })),
    )
    .execute();
}

/**
 * Whether an earlier (or this very) event of the same aggregate still waits in `event_delivery`
 * for this subscriber; if so the event joins that queue, so it is handled after them, in order.
 */
export async function queueBehindWaitingDeliveries(tx: Tx, delivery: DeliveryRecord): Promise<boolean> {
  const orderingKey = orderingKeyOf(delivery.envelope.aggregate);
  const waiting = await tx
    .selectFrom('eventDelivery')
    .select('eventId')
    .where('subscriber', '=', delivery.subscriber)
    .where('orderingKey', '=', orderingKey)
    .where('eventSeq', '<=', delivery.eventSeq)
    .limit(1)
    .executeTakeFirst();
  if (!waiting) return false;
  await tx
    .insertInto('eventDelivery')
    .values({ subscriber: delivery.subscriber, eventId: delivery.envelope.id, eventSeq: delivery.eventSeq, orderingKey })
    .onConflict((conflict) => conflict.columns(['subscriber', 'eventId']).doNothing())
    .execute();
  return true;
}
