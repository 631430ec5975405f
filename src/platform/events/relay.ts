import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Metrics } from '../metrics.ts';
import type { HandlingContext } from './deliveries.ts';
import { observeEventRelay } from './event-metrics.ts';
import { listenForOutbox, redriveNotification } from './listener.ts';
import { dispatchNextDelivery, fanOutCommittedEvents } from './local-transport.ts';
import { startWorkLoop, type WorkLoop } from './loop.ts';
import { type NatsTransport, startNatsTransport } from './nats-transport.ts';
import type { EventSubscriber } from './subscriber.ts';

export interface EventRelayOptions {
  db: Database;
  url: string;
  logger: Logger;
  metrics: Metrics;
  config: Pick<
    Config,
    | 'OUTBOX_POLL_INTERVAL_MS'
    | 'OUTBOX_MAX_ATTEMPTS'
    | 'OUTBOX_RETRY_BASE_MS'
    | 'OUTBOX_RETENTION_DAYS'
    | 'OUTBOX_DISPATCH_CONCURRENCY'
    | 'NATS_URL'
    | 'NATS_STREAM'
  >;
  subscribers: EventSubscriber[];
  /** Outbox events claimed per relay transaction; 100 unless set. */
  batchSize?: number;
  /** Deliveries of one subscriber handled side by side (of different aggregates) in this process; `OUTBOX_DISPATCH_CONCURRENCY` unless set. */
  dispatchConcurrency?: number;
  /** NATS subjects are `<prefix>.<event type>`; `tenure.events` unless set. */
  natsSubjectPrefix?: string;
}

export interface EventRelay {
  problem(): string | undefined;
  stop(): Promise<void>;
}

/** Outages shorter than this many poll intervals are not reported: the relay rides them out. */
const toleratedPollIntervals = 5;

/**
 * Delivers committed outbox events to the subscribers, exactly once in effect and in order per
 * aggregate. One loop relays (fans events out into deliveries, or publishes them to NATS when
 * `NATS_URL` is set); dispatch loops hand each subscriber its deliveries. `LISTEN tenure_outbox`
 * wakes them at each commit; they also poll every `OUTBOX_POLL_INTERVAL_MS`, which covers a lost
 * notification connection and retries that come due.
 *
 * "In order" means in outbox `seq` order, which `publish` makes the order in which an aggregate's
 * changes committed: publishers of one aggregate hold a transaction lock on it until commit.
 */
export async function startEventRelay(options: EventRelayOptions): Promise<EventRelay> {
  const { db, config, subscribers } = options;
  const logger = options.logger.child({ component: 'event-relay' });
  assertUniqueNames(subscribers);
  const intervalMs = config.OUTBOX_POLL_INTERVAL_MS;
  const batchSize = options.batchSize ?? 100;
  const handling: HandlingContext = {
    db,
    logger,
    policy: { maxAttempts: config.OUTBOX_MAX_ATTEMPTS, retryBaseMs: config.OUTBOX_RETRY_BASE_MS },
    outcomes: observeEventRelay(
      options.metrics,
      db,
      subscribers.map((subscriber) => subscriber.name),
    ),
  };
  const nats: NatsTransport | undefined = config.NATS_URL
    ? await startNatsTransport({
        url: config.NATS_URL,
        stream: config.NATS_STREAM,
        subjectPrefix: options.natsSubjectPrefix ?? 'tenure.events',
        retentionDays: config.OUTBOX_RETENTION_DAYS,
        batchSize,
        retryIntervalMs: intervalMs,
        db,
        subscribers,
        handling,
      })
    : undefined;

  let stopping = false;
  const isStopping = () => stopping;
  // With NATS they only see what the consumers left in `event_delivery`: parked deliveries, once
  // re-driven, and the later events of their aggregates queued behind them.
  const dispatchers: WorkLoop[] = subscribers.flatMap((subscriber) =>
    Array.from({ length: options.dispatchConcurrency ?? config.OUTBOX_DISPATCH_CONCURRENCY }, (_, worker) =>
      startWorkLoop({
        name: `dispatcher ${subscriber.name}#${worker + 1}`,
        intervalMs,
        logger,
        isStopping,
        step: () => dispatchNextDelivery(handling, subscriber),
      }),
    ),
  );
  const wakeDispatchers = () => dispatchers.forEach((loop) => loop.wakeup.wake());
  const relayLoop = startWorkLoop({
    name: nats ? 'NATS publisher' : 'relay',
    intervalMs,
    logger,
    isStopping,
    step: async () => {
      const relayed = nats ? await nats.publishCommittedEvents() : await fanOutCommittedEvents(db, subscribers, batchSize);
      if (relayed > 0 && !nats) wakeDispatchers();
      return relayed === batchSize;
    },
  });
  const loops = [relayLoop, ...dispatchers];
  const listener = listenForOutbox({
    url: options.url,
    logger,
    onNotification: (payload) => (payload === redriveNotification ? wakeDispatchers() : relayLoop.wakeup.wake()),
    onConnected: () => loops.forEach((loop) => loop.wakeup.wake()),
  });

  const toleratedMs = toleratedPollIntervals * intervalMs;
  let stopped: Promise<void> | undefined;
  return {
    problem() {
      if (stopping) return 'event relay is stopped';
      const listenDownMs = listener.downForMs();
      if (listenDownMs > toleratedMs) return `LISTEN connection for the event relay down for ${listenDownMs} ms`;
      return loops.map((loop) => loop.problem(toleratedMs)).find(Boolean) ?? nats?.problem(toleratedMs);
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        loops.forEach((loop) => loop.wakeup.wake());
        // In-flight handler transactions finish before the loops end.
        await Promise.all(loops.map((loop) => loop.done));
        await nats?.stop();
        await listener.stop();
        logger.info('event relay stopped');
      })();
      return stopped;
    },
  };
}

function assertUniqueNames(subscribers: readonly EventSubscriber[]): void {
  const seen = new Set<string>();
  for (const { name } of subscribers) {
    if (seen.has(name)) throw new Error(`Two event subscribers are named ${name}; deliveries and the inbox are keyed by name`);
    seen.add(name);
  }
}
