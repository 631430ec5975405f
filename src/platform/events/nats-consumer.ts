import { createHash } from 'node:crypto';
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  NatsError,
  nanos,
} from 'nats';
import type { Logger } from 'pino';
import type { EventEnvelope } from './envelope.ts';
import {
  type DeliveryRecord,
  errorText,
  eventLogger,
  handleOnce,
  type HandlingContext,
  type HandlingOutcome,
  parkDelivery,
  queueBehindWaitingDeliveries,
  retryDelayMs,
} from './deliveries.ts';
import { Wakeup } from './loop.ts';
import { type EventSubscriber, subscribesTo } from './subscriber.ts';

/** The header that carries the outbox sequence number, which orders deliveries per aggregate. */
export const natsSeqHeader = 'Tenure-Event-Seq';

export interface NatsConsumerOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subjectPrefix: string;
  /** Servers before 2.10 take one filter subject per consumer. */
  manyFilterSubjects: boolean;
  subscriber: EventSubscriber;
  handling: HandlingContext;
  retryIntervalMs: number;
}

export interface NatsConsumer {
  problem(toleratedMs: number): string | undefined;
  stop(): Promise<void>;
}

/** A JetStream consumer name (no dots, wildcards or spaces) that stays unique per subscriber name. */
export function durableNameOf(subscriber: string): string {
  const readable = subscriber.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 48);
  return `${readable}_${createHash('sha256').update(subscriber).digest('hex').slice(0, 8)}`;
}

/**
 * One durable pull consumer per subscriber. `max_ack_pending: 1` keeps the stream's order, which is
 * the outbox order, so each aggregate's events arrive in order: the next message comes only once
 * the current one is acknowledged or given up. A failed message is `nak`ed with a backoff and
 * blocks the subscriber until it succeeds or is parked after `maxAttempts` deliveries. The relay
 * counts the deliveries and parks itself rather than letting JetStream's `max_deliver` drop the
 * message, so a process that dies during the last attempt cannot lose the event.
 */
function consumerConfig(options: NatsConsumerOptions): Partial<ConsumerConfig> {
  const { subscriber, subjectPrefix } = options;
  const all = `${subjectPrefix}.>`;
  const subjects = subscriber.eventTypes.includes('*') ? [all] : subscriber.eventTypes.map((type) => `${subjectPrefix}.${type}`);
  const filter =
    subjects.length === 1
      ? { filter_subject: subjects[0] }
      : options.manyFilterSubjects
        ? { filter_subjects: subjects }
        : { filter_subject: all };
  return {
    durable_name: durableNameOf(subscriber.name),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    max_ack_pending: 1,
    max_deliver: -1,
    ack_wait: nanos(30_000),
    ...filter,
  };
}

async function ensureConsumer(options: NatsConsumerOptions): Promise<string> {
  const config = consumerConfig(options);
  const name = config.durable_name ?? '';
  try {
    await options.jsm.consumers.info(options.stream, name);
    await options.jsm.consumers.update(options.stream, name, config);
  } catch (error) {
    if (!(error instanceof NatsError) || error.code !== '404') throw error;
    await options.jsm.consumers.add(options.stream, config);
  }
  return name;
}

export async function startNatsConsumer(options: NatsConsumerOptions): Promise<NatsConsumer> {
  const { logger } = options.handling;
  const consumerName = await ensureConsumer(options);
  const pause = new Wakeup();
  const state = { stopping: false };
  let messages: ConsumerMessages | undefined;
  let failingSince: number | undefined;
  let lastError = '';

  async function consume(): Promise<void> {
    const consumer = await options.js.consumers.get(options.stream, consumerName);
    messages = await consumer.consume({ max_messages: 1 });
    for await (const message of messages) {
      failingSince = undefined;
      // A message taken but not yet handled goes back at once, for another process to take.
      if (state.stopping) message.nak();
      else await handleMessage(message, options);
    }
  }

  const done = (async () => {
    while (!state.stopping) {
      try {
        await consume();
      } catch (error) {
        failingSince ??= Date.now();
        lastError = errorText(error);
        logger.error({ err: error, subscriber: options.subscriber.name }, 'NATS consumer failed; restarting');
        await pause.sleep(options.retryIntervalMs);
        await ensureConsumer(options).catch(() => undefined);
      }
    }
  })();

  return {
    problem(toleratedMs) {
      if (failingSince === undefined || Date.now() - failingSince <= toleratedMs) return undefined;
      return `NATS consumer of ${options.subscriber.name} has been failing for ${Date.now() - failingSince} ms: ${lastError}`;
    },
    async stop() {
      state.stopping = true;
      pause.wake();
      await messages?.close();
      await done;
    },
  };
}

/**
 * Handles one message in one transaction with the subscriber's inbox row, so a message JetStream
 * delivers again has no second effect; acknowledges only after the commit. An event whose
 * aggregate already has deliveries waiting in `event_delivery` (parked, or re-driven) joins them
 * there instead, so it is handled after them by the local dispatcher.
 */
async function handleMessage(message: JsMsg, options: NatsConsumerOptions): Promise<void> {
  const { subscriber, handling } = options;
  const delivery = readDelivery(message, subscriber, handling.logger);
  if (!delivery || !subscribesTo(subscriber, delivery.envelope.type)) {
    message.ack();
    return;
  }
  const logger = eventLogger(handling.logger, subscriber, delivery.envelope);
  const attempt = message.info.deliveryCount;
  if (attempt > handling.policy.maxAttempts) {
    // Earlier deliveries ended without an outcome (the process died while handling): give up.
    await park(message, delivery, attempt, new Error(`delivered ${attempt} times without an outcome`), handling, logger);
    return;
  }
  let outcome: HandlingOutcome;
  try {
    outcome = await handling.db
      .transaction()
      .execute(async (tx) =>
        (await queueBehindWaitingDeliveries(tx, delivery)) ? 'queued' : handleOnce(tx, subscriber, delivery.envelope),
      );
  } catch (error) {
    if (attempt >= handling.policy.maxAttempts) await park(message, delivery, attempt, error, handling, logger);
    else {
      message.nak(retryDelayMs(attempt, handling.policy.retryBaseMs));
      handling.outcomes.inc({ subscriber: subscriber.name, outcome: 'failed' });
      logger.warn({ err: error, attempt }, 'event handler failed; will retry');
    }
    return;
  }
  message.ack();
  handling.outcomes.inc({ subscriber: subscriber.name, outcome });
  logger.debug({ outcome, attempt }, 'event handled');
}

async function park(message: JsMsg, delivery: DeliveryRecord, attempts: number, error: unknown, handling: HandlingContext, logger: Logger) {
  await parkDelivery(handling.db, delivery, attempts, error);
  message.term();
  handling.outcomes.inc({ subscriber: delivery.subscriber, outcome: 'parked' });
  logger.error({ err: error, attempt: attempts }, 'event handler failed too often; delivery parked');
}

function readDelivery(message: JsMsg, subscriber: EventSubscriber, logger: Logger): DeliveryRecord | undefined {
  try {
    const envelope = message.json<EventEnvelope>();
    const eventSeq = Number(message.headers?.get(natsSeqHeader));
    if (typeof envelope.id !== 'string' || !Number.isSafeInteger(eventSeq)) throw new Error(`no event id or ${natsSeqHeader} header`);
    return { subscriber: subscriber.name, envelope, eventSeq };
  } catch (error) {
    logger.error({ err: error, subject: message.subject, subscriber: subscriber.name }, 'NATS message is not a Tenure event; skipped');
    return undefined;
  }
}
