import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import {
  allDelivered,
  clearEvents,
  createEffectTable,
  deliveryOf,
  publishCommitted,
  publishParcelEvent,
  readEffects,
  recordingSubscriber,
  seededRandom,
  startTestRelay,
  type TestRelayOptions,
} from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { withDatabaseName } from '../db/database.ts';
import { createMetrics } from '../metrics.ts';
import type { EventEnvelope } from './envelope.ts';
import { retryDelayMs } from './deliveries.ts';
import type { EventRelay } from './relay.ts';
import type { EventSubscriber } from './subscriber.ts';

let database: TestDatabase;
const relays: EventRelay[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  await createEffectTable(database.owner);
});
afterAll(() => database.drop());
beforeEach(() => clearEvents(database.owner));
afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

async function relayFor(subscribers: EventSubscriber[], options: TestRelayOptions = {}): Promise<EventRelay> {
  const relay = await startTestRelay(database, subscribers, options);
  relays.push(relay);
  return relay;
}

async function effectOf(eventId: string) {
  return (await readEffects(database.db)).filter((effect) => effect.eventId === eventId);
}

async function listenBackends(): Promise<number[]> {
  const { rows } = await sql<{ pid: number }>`
    SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN tenure_outbox'
  `.execute(database.owner);
  return rows.map((row) => row.pid);
}

describe('nothing leaves before commit', () => {
  it('never delivers an event whose transaction rolled back, and delivers an open one only after its commit', async () => {
    await relayFor([recordingSubscriber('audit')]);
    const open = await database.db.startTransaction().execute();
    const uncommitted = await publishParcelEvent(open, 'parcel-open');
    let rolledBack: EventEnvelope | undefined;
    await database.db
      .transaction()
      .execute(async (tx) => {
        rolledBack = await publishParcelEvent(tx, 'parcel-rolled-back');
        throw new Error('the use case fails after publishing');
      })
      .catch(() => undefined);
    // Handled in order after both were published: once it is handled, the relay has passed them.
    const marker = await publishCommitted(database.db, 'parcel-marker');
    await waitFor(async () => (await effectOf(marker.id)).length === 1, { message: 'the marker event to be handled' });
    expect((await readEffects(database.db)).map((effect) => effect.eventId)).toEqual([marker.id]);

    await open.commit().execute();
    await waitFor(async () => (await effectOf(uncommitted.id)).length === 1, { message: 'the committed event to be handled' });
    expect((await readEffects(database.db)).map((effect) => effect.eventId)).toEqual([marker.id, uncommitted.id]);
    const stored = await database.db.selectFrom('outboxEvent').select('id').where('id', '=', rolledBack!.id).execute();
    expect(stored).toEqual([]);
  });
});

describe('waking the relay', () => {
  it('is woken by NOTIFY without waiting for its poll, and listens again after losing the connection', async () => {
    const relay = await relayFor([recordingSubscriber('notified')], { config: { OUTBOX_POLL_INTERVAL_MS: '60000' } });
    const [firstBackend] = await waitFor(listenBackends, { message: 'the LISTEN connection' });
    // The relay now sleeps for a minute unless a notification wakes it.
    const first = await publishCommitted(database.db, 'parcel-1');
    await waitFor(async () => (await effectOf(first.id)).length === 1, { timeoutMs: 5000, message: 'a notified delivery' });

    await sql`SELECT pg_terminate_backend(${firstBackend!})`.execute(database.db);
    await waitFor(async () => (await listenBackends()).some((pid) => pid !== firstBackend), { message: 'a new LISTEN connection' });
    const second = await publishCommitted(database.db, 'parcel-2');
    await waitFor(async () => (await effectOf(second.id)).length === 1, {
      timeoutMs: 5000,
      message: 'a delivery notified after reconnecting',
    });
    expect(relay.problem()).toBeUndefined();
  });

  it('keeps delivering by polling when it cannot LISTEN, and reports the problem', async () => {
    const relay = await relayFor([recordingSubscriber('polled')], { url: withDatabaseName(database.url, 'no_such_database') });
    const event = await publishCommitted(database.db, 'parcel-polled');
    await waitFor(async () => (await effectOf(event.id)).length === 1, { message: 'a polled delivery' });
    expect(await waitFor(() => relay.problem(), { message: 'a reported problem' })).toMatch(/LISTEN connection .* down/);
  });
});

describe('exactly-once effects', () => {
  it('has no second effect when a handled event is delivered again', async () => {
    const metrics = createMetrics();
    const subscriber = recordingSubscriber('ledger');
    await relayFor([subscriber], { metrics });
    const event = await publishCommitted(database.db, 'parcel-twice');
    await waitFor(async () => (await effectOf(event.id)).length === 1);
    const outbox = await database.db.selectFrom('outboxEvent').select('seq').where('id', '=', event.id).executeTakeFirstOrThrow();

    await database.db
      .insertInto('eventDelivery')
      .values({ subscriber: 'ledger', eventId: event.id, eventSeq: outbox.seq, orderingKey: 'parcel:parcel-twice' })
      .execute();
    await waitFor(async () => (await deliveryOf(database.db, 'ledger', event.id)) === undefined, { message: 'the repeat to be consumed' });

    expect(await effectOf(event.id)).toHaveLength(1);
    expect(subscriber.calls.get(event.id)).toBe(1);
    const exposition = await metrics.metrics();
    expect(exposition).toContain('tenure_events_handled_total{subscriber="ledger",outcome="handled"} 1');
    expect(exposition).toContain('tenure_events_handled_total{subscriber="ledger",outcome="duplicate"} 1');
  });

  it('rolls back the effect of a handler that fails after writing it, and applies it once on retry', async () => {
    const subscriber = recordingSubscriber('invoicing', {
      afterEffect: (_event, attempt) => {
        if (attempt === 1) throw new Error('the mail server is down');
      },
    });
    await relayFor([subscriber]);
    const event = await publishCommitted(database.db, 'parcel-flaky');
    await waitFor(
      async () => (await deliveryOf(database.db, 'invoicing', event.id)) === undefined && subscriber.calls.get(event.id) === 2,
      {
        message: 'the retry to succeed',
      },
    );
    expect(await effectOf(event.id)).toHaveLength(1);
    expect(await database.db.selectFrom('eventInbox').select('eventId').where('subscriber', '=', 'invoicing').execute()).toHaveLength(1);
  });

  it('counts a failed commit as a failed attempt, keeps none of its effect, and applies it once on retry', async () => {
    await sql`CREATE TABLE parcel_label (label text, CONSTRAINT parcel_label_unique UNIQUE (label) DEFERRABLE INITIALLY DEFERRED)`.execute(
      database.owner,
    );
    let calls = 0;
    const labelling: EventSubscriber = {
      name: 'labelling',
      eventTypes: ['parcel.moved'],
      async handle(tx, event) {
        calls += 1;
        await sql`INSERT INTO parcel_label (label) VALUES (${event.id})`.execute(tx);
        // The duplicate passes the handler and fails only at commit, the first time.
        if (calls === 1) await sql`INSERT INTO parcel_label (label) VALUES (${event.id})`.execute(tx);
      },
    };
    await relayFor([labelling], { config: { OUTBOX_RETRY_BASE_MS: '60000' } });
    const event = await publishCommitted(database.db, 'parcel-labelled');
    const failed = await waitFor(async () => {
      const row = await deliveryOf(database.db, 'labelling', event.id);
      return row?.attempts === 1 ? row : undefined;
    });
    expect(failed.lastError).toContain('parcel_label_unique');
    expect(await database.db.selectFrom('eventInbox').select('eventId').where('subscriber', '=', 'labelling').execute()).toEqual([]);

    await sql`UPDATE event_delivery SET next_attempt_at = now() WHERE event_id = ${event.id}`.execute(database.db);
    await waitFor(async () => (await deliveryOf(database.db, 'labelling', event.id)) === undefined, { message: 'the retry to commit' });
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM parcel_label`.execute(database.db);
    expect(rows[0]?.count).toBe(1);
    expect(calls).toBe(2);
  });

  it('handles every event once with two relays and several workers each side by side', async () => {
    const subscribers = () => [recordingSubscriber('search'), recordingSubscriber('reports')];
    await relayFor(subscribers(), { dispatchConcurrency: 3, batchSize: 7 });
    await relayFor(subscribers(), { dispatchConcurrency: 3, batchSize: 7 });
    // Concurrent use cases, each changing three parcels. Like a real use case, each locks the
    // aggregates it changes, so one parcel's events reach the outbox in the order they commit.
    const published = (
      await Promise.all(
        Array.from({ length: 20 }, (_, batch) =>
          database.db.transaction().execute(async (tx) => {
            const parcels = [0, 1, 2].map((offset) => `parcel-${(batch + offset) % 5}`);
            for (const parcel of parcels.toSorted()) await sql`SELECT pg_advisory_xact_lock(hashtext(${parcel}))`.execute(tx);
            const events = [];
            for (const parcel of parcels) events.push(await publishParcelEvent(tx, parcel));
            return events;
          }),
        ),
      )
    ).flat();
    await waitFor(() => allDelivered(database.db), { message: 'every delivery to be handled' });
    for (const name of ['search', 'reports']) {
      const handled = (await readEffects(database.db, name)).map((effect) => effect.eventId);
      expect(handled.toSorted()).toEqual(published.map((event) => event.id).toSorted());
    }
    await expectOrderPerParcel(['search', 'reports']);
  });
});

describe('order per aggregate', () => {
  it('handles each aggregate’s events in outbox order while handlers fail at random', async () => {
    const random = seededRandom(20_240_611);
    const flaky = (name: string) =>
      recordingSubscriber(name, {
        afterEffect: () => {
          if (random() < 0.3) throw new Error('transient failure');
        },
      });
    await relayFor([flaky('billing'), flaky('notifications')], { dispatchConcurrency: 4, config: { OUTBOX_MAX_ATTEMPTS: '100' } });
    for (let round = 0; round < 25; round += 1) {
      await Promise.all(['a', 'b', 'c', 'd'].map((parcel) => publishCommitted(database.db, `parcel-${parcel}`, { round })));
    }
    await waitFor(() => allDelivered(database.db), { message: 'every delivery to be handled' });
    expect(await readEffects(database.db, 'billing')).toHaveLength(100);
    expect(await readEffects(database.db, 'notifications')).toHaveLength(100);
    await expectOrderPerParcel(['billing', 'notifications']);
  });
});

/** Each subscriber applied each parcel's effects in the order of the parcel's events in the outbox. */
async function expectOrderPerParcel(subscribers: string[]): Promise<void> {
  const outbox = await database.db.selectFrom('outboxEvent').select(['id', 'aggregateId']).orderBy('seq').execute();
  const expected = (parcel: string) => outbox.filter((event) => event.aggregateId === parcel).map((event) => event.id);
  for (const subscriber of subscribers) {
    const effects = await readEffects(database.db, subscriber);
    for (const parcel of new Set(outbox.map((event) => event.aggregateId))) {
      expect(effects.filter((effect) => effect.parcel === parcel).map((effect) => effect.eventId)).toEqual(expected(parcel));
    }
  }
}

describe('retries', () => {
  it('waits out the backoff before retrying, while other aggregates go on', async () => {
    const subscriber = recordingSubscriber('payouts', {
      afterEffect: (event) => {
        if (event.aggregate.id === 'parcel-failing') throw new Error('bank rejected the transfer');
      },
    });
    await relayFor([subscriber], { config: { OUTBOX_RETRY_BASE_MS: '60000' } });
    const failing = await publishCommitted(database.db, 'parcel-failing');
    const delivery = await waitFor(async () => {
      const row = await deliveryOf(database.db, 'payouts', failing.id);
      return row && row.attempts === 1 ? row : undefined;
    });
    expect(delivery.status).toBe('pending');
    expect(delivery.lastError).toContain('bank rejected the transfer');
    // Base 60 s with jitter: the first retry is between 30 and 60 s away.
    expect(delivery.nextAttemptAt.getTime() - Date.now()).toBeGreaterThan(25_000);

    const other = await publishCommitted(database.db, 'parcel-other');
    await waitFor(async () => (await effectOf(other.id)).length === 1, { message: 'another aggregate to go on' });
    expect(subscriber.calls.get(failing.id)).toBe(1);
    expect(await effectOf(failing.id)).toEqual([]);
  });

  it('grows the delay exponentially from the base, with jitter, up to an hour', () => {
    expect(retryDelayMs(1, 1000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, () => 1)).toBe(1000);
    expect(retryDelayMs(4, 1000, () => 1)).toBe(8000);
    expect(retryDelayMs(4, 1000, () => 0.5)).toBe(6000);
    expect(retryDelayMs(30, 1000, () => 1)).toBe(3_600_000);
  });
});

describe('metrics', () => {
  it('reports the outbox lag, unrelayed events and deliveries by status', async () => {
    const metrics = createMetrics();
    const relay = await relayFor([recordingSubscriber('broken', { afterEffect: () => Promise.reject(new Error('always')) })], {
      metrics,
      config: { OUTBOX_MAX_ATTEMPTS: '1' },
    });
    const parked = await publishCommitted(database.db, 'parcel-parked');
    await waitFor(async () => (await deliveryOf(database.db, 'broken', parked.id))?.status === 'parked');
    await relay.stop();

    await publishCommitted(database.db, 'parcel-waiting');
    await sql`UPDATE outbox_event SET created_at = now() - interval '90 seconds' WHERE relayed_at IS NULL`.execute(database.db);
    const exposition = await metrics.metrics();
    expect(exposition).toContain('tenure_outbox_unrelayed_events 1');
    expect(Number(/^tenure_outbox_lag_seconds (\S+)$/m.exec(exposition)?.[1])).toBeGreaterThanOrEqual(90);
    expect(exposition).toContain('tenure_event_deliveries{subscriber="broken",status="parked"} 1');
    expect(exposition).toContain('tenure_event_deliveries{subscriber="broken",status="pending"} 0');
    expect(exposition).toContain('tenure_events_handled_total{subscriber="broken",outcome="parked"} 1');
  });
});

describe('stopping', () => {
  it('finishes the handler transaction in flight, closes its LISTEN connection, and may be called twice', async () => {
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const relay = await relayFor([
      recordingSubscriber('slow', {
        afterEffect: async () => {
          started = true;
          await released;
        },
      }),
    ]);
    await waitFor(listenBackends);
    const event = await publishCommitted(database.db, 'parcel-slow');
    await waitFor(() => started, { message: 'the handler to start' });

    let stopped = false;
    const stopping = relay.stop().then(() => (stopped = true));
    // A pause only gives a wrong stop() the chance to return early; it never fails a right one.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stopped).toBe(false);
    release();
    await stopping;

    expect(await effectOf(event.id)).toHaveLength(1);
    expect(await deliveryOf(database.db, 'slow', event.id)).toBeUndefined();
    await waitFor(async () => (await listenBackends()).length === 0, { message: 'the LISTEN connection to close' });
    await relay.stop();
    expect(relay.problem()).toBe('event relay is stopped');
  });
});
