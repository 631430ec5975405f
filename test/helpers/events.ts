import { sql } from 'kysely';
import pino from 'pino';
import type { Config } from '../../src/platform/config.ts';
import type { Database, Tx } from '../../src/platform/db/database.ts';
import type { EventContext, EventEnvelope } from '../../src/platform/events/envelope.ts';
import { publish } from '../../src/platform/events/outbox.ts';
import { type EventRelay, type EventRelayOptions, startEventRelay } from '../../src/platform/events/relay.ts';
import type { EventSubscriber } from '../../src/platform/events/subscriber.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import { testConfig } from './app.ts';
import type { TestDatabase } from './database.ts';

/** Events about parcels stand in for any module's events in the event mechanism's tests. */
export const parcelMoved = 'parcel.moved';

export const testContext: EventContext = {
  correlationId: 'test-correlation',
  causationId: null,
  actor: { type: 'system', id: null },
  tenantId: null,
  clientApp: null,
};

export function publishParcelEvent(tx: Tx, parcel: string, data: Record<string, unknown> = {}, type = parcelMoved): Promise<EventEnvelope> {
  return publish(tx, testContext, { type, aggregate: { type: 'parcel', id: parcel }, source: 'tests', data });
}

export function publishCommitted(
  db: Database,
  parcel: string,
  data: Record<string, unknown> = {},
  type = parcelMoved,
): Promise<EventEnvelope> {
  return db.transaction().execute((tx) => publishParcelEvent(tx, parcel, data, type));
}

/** The subscribers' effect: one row per handling, so a second effect of one event would show. */
export async function createEffectTable(db: Database): Promise<void> {
  await sql`CREATE TABLE parcel_effect (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber text NOT NULL,
    event_id uuid NOT NULL,
    parcel text NOT NULL
  )`.execute(db);
}

export async function clearEvents(db: Database): Promise<void> {
  await sql`TRUNCATE outbox_event, event_delivery, event_inbox, parcel_effect`.execute(db);
}

export interface Effect {
  subscriber: string;
  eventId: string;
  parcel: string;
}

/** Effects in the order they were applied. */
export async function readEffects(db: Database, subscriber?: string): Promise<Effect[]> {
  const { rows } = await sql<Effect>`
    SELECT subscriber, event_id, parcel FROM parcel_effect
    WHERE ${subscriber === undefined ? sql`true` : sql`subscriber = ${subscriber}`}
    ORDER BY id
  `.execute(db);
  return rows;
}

export interface RecordingSubscriber extends EventSubscriber {
  /** How many times the handler was called for each event id. */
  calls: Map<string, number>;
}

/**
 * A subscriber that writes its effect row and then runs `afterEffect`, which may throw to fail the
 * attempt after the effect was written.
 */
export function recordingSubscriber(
  name: string,
  options: { eventTypes?: string[]; afterEffect?: (event: EventEnvelope, attempt: number) => void | Promise<void> } = {},
): RecordingSubscriber {
  const calls = new Map<string, number>();
  return {
    name,
    eventTypes: options.eventTypes ?? [parcelMoved],
    calls,
    async handle(tx, event) {
      const attempt = (calls.get(event.id) ?? 0) + 1;
      calls.set(event.id, attempt);
      await sql`INSERT INTO parcel_effect (subscriber, event_id, parcel) VALUES (${name}, ${event.id}, ${event.aggregate.id})`.execute(tx);
      await options.afterEffect?.(event, attempt);
    },
  };
}

export type TestRelayOptions = Partial<Omit<EventRelayOptions, 'config' | 'subscribers' | 'db'>> & {
  config?: Partial<Record<keyof Config, string>>;
};

/** A relay on the test's database that polls and retries quickly. */
export function startTestRelay(
  database: TestDatabase,
  subscribers: EventSubscriber[],
  options: TestRelayOptions = {},
): Promise<EventRelay> {
  const { config, ...rest } = options;
  return startEventRelay({
    db: database.db,
    url: database.url,
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    metrics: createMetrics(),
    config: testConfig({ OUTBOX_POLL_INTERVAL_MS: '20', OUTBOX_RETRY_BASE_MS: '10', OUTBOX_MAX_ATTEMPTS: '10', ...config }),
    subscribers,
    ...rest,
  });
}

/** Every committed event relayed and every delivery handled (none pending or parked). */
export async function allDelivered(db: Database): Promise<boolean> {
  const { rows } = await sql<{ waiting: number }>`
    SELECT (SELECT count(*) FROM outbox_event WHERE relayed_at IS NULL) + (SELECT count(*) FROM event_delivery) AS waiting
  `.execute(db);
  return rows[0]?.waiting === 0;
}

export async function deliveryOf(db: Database, subscriber: string, eventId: string) {
  return db.selectFrom('eventDelivery').selectAll().where('subscriber', '=', subscriber).where('eventId', '=', eventId).executeTakeFirst();
}

/** A deterministic stream of numbers in [0, 1), so a failing random run can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}
