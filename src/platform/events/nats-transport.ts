import { connect, Events, headers, type JetStreamManager, type NatsConnection, NatsError, nanos, RetentionPolicy, StorageType } from 'nats';
import type { Database } from '../db/database.ts';
import { claimUnrelayedEvents, type HandlingContext, markRelayed } from './deliveries.ts';
import { type NatsConsumer, natsSeqHeader, startNatsConsumer } from './nats-consumer.ts';
import type { EventSubscriber } from './subscriber.ts';

/**
 * The NATS JetStream transport: the relay step publishes each committed outbox event to the
 * stream, and every subscriber consumes through its own durable consumer with the same inbox.
 */
export interface NatsTransportOptions {
  url: string;
  stream: string;
  /** Subjects are `<prefix>.<event type>`; the stream holds `<prefix>.>`. */
  subjectPrefix: string;
  retentionDays: number;
  batchSize: number;
  retryIntervalMs: number;
  db: Database;
  subscribers: readonly EventSubscriber[];
  handling: HandlingContext;
}

export interface NatsTransport {
  /** The relay step: publishes the oldest committed events and marks them relayed. */
  publishCommittedEvents(): Promise<number>;
  problem(toleratedMs: number): string | undefined;
  stop(): Promise<void>;
}

/** How long JetStream remembers a `Nats-Msg-Id`: a relay publishing again within it adds nothing. */
const duplicateWindowMs = 2 * 60_000;

export async function startNatsTransport(options: NatsTransportOptions): Promise<NatsTransport> {
  const { logger } = options.handling;
  const nc = await connect({ servers: options.url, name: 'tenure-event-relay', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
  const connection = watchConnection(nc, options);
  const consumers: NatsConsumer[] = [];
  try {
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, options);
    const js = nc.jetstream();
    const manyFilterSubjects = atLeastVersion(nc.info?.version ?? '0', [2, 10]);
    for (const subscriber of options.subscribers) {
      consumers.push(
        await startNatsConsumer({
          js,
          jsm,
          stream: options.stream,
          subjectPrefix: options.subjectPrefix,
          manyFilterSubjects,
          subscriber,
          handling: options.handling,
          retryIntervalMs: options.retryIntervalMs,
        }),
      );
    }
  } catch (error) {
    await Promise.all(consumers.map((consumer) => consumer.stop()));
    await nc.close();
    throw error;
  }
  logger.info({ stream: options.stream, subscribers: consumers.length }, 'event relay publishes to NATS JetStream');

  return {
    async publishCommittedEvents() {
      const js = nc.jetstream();
      return options.db.transaction().execute(async (tx) => {
        const events = await claimUnrelayedEvents(tx, options.batchSize);
        // One at a time, each after the previous ack: a failed publish stops the batch, so the
        // stream never holds a later event of an aggregate before an earlier one.
        for (const event of events) {
          const messageHeaders = headers();
          messageHeaders.set(natsSeqHeader, String(event.seq));
          const ack = await js.publish(`${options.subjectPrefix}.${event.type}`, JSON.stringify(event.envelope), {
            msgID: event.id,
            headers: messageHeaders,
          });
          if (ack.duplicate) logger.debug({ eventId: event.id }, 'JetStream already had this event; duplicate dropped');
        }
        await markRelayed(tx, events);
        return events.length;
      });
    },
    problem(toleratedMs) {
      return connection.problem(toleratedMs) ?? consumers.map((consumer) => consumer.problem(toleratedMs)).find(Boolean);
    },
    async stop() {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await nc.drain().catch(() => nc.close());
    },
  };
}

async function ensureStream(jsm: JetStreamManager, options: NatsTransportOptions): Promise<void> {
  const subject = `${options.subjectPrefix}.>`;
  try {
    const info = await jsm.streams.info(options.stream);
    if (!info.config.subjects.includes(subject)) {
      await jsm.streams.update(options.stream, { ...info.config, subjects: [...info.config.subjects, subject] });
    }
  } catch (error) {
    if (!(error instanceof NatsError) || error.code !== '404') throw error;
    await jsm.streams.add({
      name: options.stream,
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(options.retentionDays * 86_400_000),
      duplicate_window: nanos(duplicateWindowMs),
    });
  }
}

function watchConnection(nc: NatsConnection, options: NatsTransportOptions) {
  const { logger } = options.handling;
  let downSince: number | undefined;
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === Events.Disconnect) {
        downSince ??= Date.now();
        logger.warn({ server: status.data }, 'NATS connection lost; reconnecting');
      } else if (status.type === Events.Reconnect) {
        downSince = undefined;
        logger.info({ server: status.data }, 'NATS connection restored');
      }
    }
  })();
  return {
    problem(toleratedMs: number): string | undefined {
      if (nc.isClosed()) return 'NATS connection is closed';
      if (downSince !== undefined && Date.now() - downSince > toleratedMs) return `NATS connection down for ${Date.now() - downSince} ms`;
      return undefined;
    },
  };
}

function atLeastVersion(version: string, minimum: [number, number]): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}
