import { type ControlledTransaction, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import type { EventEnvelope } from './envelope.ts';
import {
  claimUnrelayedEvents,
  errorText,
  eventLogger,
  failedAttempt,
  handleAsTenant,
  type HandlingContext,
  markRelayed,
  orderingKeyOf,
  recordFailedAttempt,
} from './deliveries.ts';
import { type EventSubscriber, subscribesTo } from './subscriber.ts';

/**
 * The in-process transport. The relay step turns each committed outbox event into one
 * `event_delivery` row per interested subscriber; the dispatch step hands each subscriber its
 * deliveries, one transaction per delivery, in order per aggregate.
 */

/** Fans the oldest committed events out into deliveries and marks them relayed, in one transaction. */
export async function fanOutCommittedEvents(db: Database, subscribers: readonly EventSubscriber[], batchSize: number): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const events = await claimUnrelayedEvents(tx, batchSize);
    const deliveries = events.flatMap((event) =>
      subscribers
        .filter((subscriber) => subscribesTo(subscriber, event.type))
        .map((subscriber) => ({
          subscriber: subscriber.name,
          eventId: event.id,
          eventSeq: event.seq,
          orderingKey: orderingKeyOf({ type: event.aggregateType, id: event.aggregateId }),
        })),
    );
    if (deliveries.length > 0) {
      await tx
        .insertInto('eventDelivery')
        .values(deliveries)
        .onConflict((conflict) => conflict.columns(['subscriber', 'eventId']).doNothing())
        .execute();
    }
    await markRelayed(tx, events);
    return events.length;
  });
}

interface ClaimedDelivery {
  eventId: string;
  eventSeq: number;
  orderingKey: string;
  attempts: number;
  createdAt: Date;
  envelope: EventEnvelope;
  /** False when the subscriber's inbox already holds the event: a repeat, with no effect to apply. */
  firstTime: boolean;
}

type Delivery = Pick<ClaimedDelivery, 'eventId' | 'attempts'> & { subscriber: string };

/**
 * Claims the subscriber's next due delivery that heads its aggregate's queue: no earlier delivery
 * of the same aggregate is left for this subscriber, pending or parked. A parked delivery therefore
 * holds back every later event of its aggregate for this subscriber until it is re-driven — order
 * per aggregate is strict — while other aggregates go on. `SKIP LOCKED` lets several workers and
 * processes dispatch side by side; a delivery being handled stays locked, and its successors are
 * not heads until its deletion commits, so they cannot overtake it.
 *
 * In the same statement, to spare round trips, the delivery is deleted and the event recorded in
 * the subscriber's inbox; both commit with the effect, or neither does.
 */
async function claimHeadDelivery(tx: Tx, subscriber: string): Promise<ClaimedDelivery | undefined> {
  const { rows } = await sql<ClaimedDelivery>`
    WITH head AS (
      SELECT d.subscriber, d.event_id
      FROM event_delivery d
      WHERE d.subscriber = ${subscriber}
        AND d.status = 'pending'
        AND d.next_attempt_at <= now()
        AND NOT EXISTS (
          SELECT 1 FROM event_delivery earlier
          WHERE earlier.subscriber = d.subscriber AND earlier.ordering_key = d.ordering_key AND earlier.event_seq < d.event_seq
        )
      ORDER BY d.next_attempt_at, d.event_seq
      LIMIT 1
      FOR UPDATE SKIP LOCKED
    ), taken AS (
      DELETE FROM event_delivery d USING head
      WHERE d.subscriber = head.subscriber AND d.event_id = head.event_id
      RETURNING d.subscriber, d.event_id, d.event_seq, d.ordering_key, d.attempts, d.created_at
    ), inbox AS (
      INSERT INTO event_inbox (subscriber, event_id) SELECT subscriber, event_id FROM taken
      ON CONFLICT DO NOTHING
      RETURNING event_id
    )
    SELECT taken.event_id, taken.event_seq, taken.ordering_key, taken.attempts, taken.created_at, o.envelope,
           EXISTS (SELECT 1 FROM inbox) AS first_time
    FROM taken JOIN outbox_event o ON o.id = taken.event_id
  `.execute(tx);
  return rows[0];
}

/**
 * Puts a delivery whose handler failed back, in the claiming transaction after its savepoint was
 * rolled back: its inbox row goes, and the delivery returns with one more attempt, to be retried
 * after a backoff or parked. The delivery stays locked throughout, so no other worker can retry
 * it before its backoff is set.
 */
async function putBack(tx: Tx, subscriber: string, claimed: ClaimedDelivery, error: unknown, context: HandlingContext): Promise<boolean> {
  const next = failedAttempt(claimed.attempts, context.policy);
  await sql`
    WITH forgotten AS (DELETE FROM event_inbox WHERE subscriber = ${subscriber} AND event_id = ${claimed.eventId})
    INSERT INTO event_delivery
      (subscriber, event_id, event_seq, ordering_key, status, attempts, next_attempt_at, last_error, parked_at, created_at)
    VALUES (
      ${subscriber}, ${claimed.eventId}, ${claimed.eventSeq}, ${claimed.orderingKey}, ${next.parked ? 'parked' : 'pending'},
      ${next.attempts}, clock_timestamp() + make_interval(secs => ${next.delaySeconds}), ${errorText(error)},
      ${next.parked ? sql`clock_timestamp()` : null}, ${claimed.createdAt}
    )
  `.execute(tx);
  return next.parked;
}

type Tx = ControlledTransaction<DB, string[]>;

/**
 * Handles one delivery of the subscriber, if one is due, and says whether there was one: inbox
 * row, effect and the deletion of the delivery commit together, in one transaction.
 */
export async function dispatchNextDelivery(context: HandlingContext, subscriber: EventSubscriber): Promise<boolean> {
  const tx = await context.db.startTransaction().execute();
  let claimed: ClaimedDelivery | undefined;
  let handling: ControlledTransaction<DB, ['handler']>;
  try {
    claimed = await claimHeadDelivery(tx, subscriber.name);
    if (!claimed) {
      await tx.commit().execute();
      return false;
    }
    handling = await tx.savepoint('handler').execute();
  } catch (error) {
    await abandon(tx);
    throw error;
  }
  const delivery: Delivery = { subscriber: subscriber.name, eventId: claimed.eventId, attempts: claimed.attempts };
  const logger = eventLogger(context.logger, subscriber, claimed.envelope);
  try {
    if (claimed.firstTime) await handleAsTenant(handling, subscriber, claimed.envelope);
  } catch (error) {
    await failInTransaction(handling, context, claimed, delivery, error, logger);
    return true;
  }
  try {
    await tx.commit().execute();
  } catch (error) {
    // The commit itself failed (a deferred constraint, a lost connection): the effect did not happen.
    await abandon(tx);
    await recordFailure(context, delivery, error, logger);
    return true;
  }
  const outcome = claimed.firstTime ? 'handled' : 'duplicate';
  context.outcomes.inc({ subscriber: subscriber.name, outcome });
  logger.debug({ outcome, attempt: claimed.attempts + 1 }, 'event handled');
  return true;
}

/** Rolls back and releases the connection; a rollback on a lost connection has nothing to undo. */
async function abandon(tx: Tx): Promise<void> {
  await tx
    .rollback()
    .execute()
    .catch(() => undefined);
}

async function failInTransaction(
  handling: ControlledTransaction<DB, ['handler']>,
  context: HandlingContext,
  claimed: ClaimedDelivery,
  delivery: Delivery,
  error: unknown,
  logger: Logger,
): Promise<void> {
  try {
    await handling.rollbackToSavepoint('handler').execute();
    const parked = await putBack(handling, delivery.subscriber, claimed, error, context);
    await handling.commit().execute();
    report(context, delivery, error, parked, logger);
  } catch {
    // The transaction is beyond saving (its connection is lost). Rolling it all back restores the
    // delivery as it was; the failure is then recorded on its own.
    await abandon(handling);
    await recordFailure(context, delivery, error, logger);
  }
}

async function recordFailure(context: HandlingContext, delivery: Delivery, error: unknown, logger: Logger): Promise<void> {
  const parked = await recordFailedAttempt(context.db, delivery, error, context.policy);
  report(context, delivery, error, parked, logger);
}

function report(context: HandlingContext, delivery: Delivery, error: unknown, parked: boolean, logger: Logger): void {
  const attempt = delivery.attempts + 1;
  context.outcomes.inc({ subscriber: delivery.subscriber, outcome: parked ? 'parked' : 'failed' });
  if (parked) logger.error({ err: error, attempt }, 'event handler failed too often; delivery parked');
  else logger.warn({ err: error, attempt }, 'event handler failed; will retry');
}
