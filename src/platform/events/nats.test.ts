import { randomBytes } from 'node:crypto';
import { serverAnswers } from '../../../test/helpers/services.ts';
import { sql } from 'kysely';
import { connect, headers, type NatsConnection } from 'nats';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import {
  allDelivered,
  clearEvents,
  createEffectTable,
  deliveryOf,
  publishCommitted,
  readEffects,
  recordingSubscriber,
  seededRandom,
  startTestRelay,
} from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { natsSeqHeader } from './nats-consumer.ts';
import type { EventRelay } from './relay.ts';
import type { EventSubscriber } from './subscriber.ts';

const natsUrl = process.env.NATS_TEST_URL ?? 'nats://127.0.0.1:4222';

const natsAvailable = await serverAnswers(natsUrl, 4222);
if (!natsAvailable) console.warn(`NATS suite skipped: no server at ${natsUrl}`);

// A stream and subjects of this run's own, so runs side by side never share messages.
const run = randomBytes(4).toString('hex');
const stream = `TENURE_TEST_${run}`;
const subjectPrefix = `tenure_test_${run}.events`;
const operatorToken = 'operator-token-for-the-nats-event-tests';

let database: TestDatabase;
let nc: NatsConnection;
let relay: EventRelay | undefined;

async function natsRelay(subscribers: EventSubscriber[], maxAttempts = '10'): Promise<EventRelay> {
  relay = await startTestRelay(database, subscribers, {
    config: { NATS_URL: natsUrl, NATS_STREAM: stream, OUTBOX_MAX_ATTEMPTS: maxAttempts },
    natsSubjectPrefix: subjectPrefix,
  });
  return relay;
}

async function messagesInStream(): Promise<number> {
  const jsm = await nc.jetstreamManager();
  return (await jsm.streams.info(stream)).state.messages;
}

async function effectsOf(eventId: string) {
  return (await readEffects(database.db)).filter((effect) => effect.eventId === eventId);
}

(natsAvailable ? describe : describe.skip)('events over NATS JetStream', () => {
  beforeAll(async () => {
    database = await createTestDatabase();
    await createEffectTable(database.owner);
    nc = await connect({ servers: natsUrl });
  });
  afterAll(async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await database.drop();
  });
  beforeEach(() => clearEvents(database.owner));
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  it('publishes an event once however often the relay publishes it, and handles it once however often it arrives', async () => {
    await natsRelay([recordingSubscriber('nats-ledger')]);
    const events = [];
    for (const parcel of ['n1', 'n2', 'n3']) events.push(await publishCommitted(database.db, parcel));
    await waitFor(async () => (await readEffects(database.db)).length === 3, { message: 'three events handled' });
    expect(await messagesInStream()).toBe(3);

    // A relay that published but died before recording it publishes the same events again.
    await sql`UPDATE outbox_event SET relayed_at = NULL`.execute(database.db);
    await waitFor(() => allDelivered(database.db), { message: 'the events relayed again' });
    // JetStream itself delivering a message again (here: a copy that slipped past de-duplication).
    const copy = headers();
    copy.set(
      natsSeqHeader,
      String((await database.db.selectFrom('outboxEvent').select('seq').where('id', '=', events[0]!.id).executeTakeFirstOrThrow()).seq),
    );
    await nc
      .jetstream()
      .publish(`${subjectPrefix}.parcel.moved`, JSON.stringify(events[0]), { msgID: `copy-${events[0]!.id}`, headers: copy });
    const marker = await publishCommitted(database.db, 'n1');
    await waitFor(async () => (await effectsOf(marker.id)).length === 1, { message: 'the marker handled after the copy' });

    expect(await messagesInStream()).toBe(5);
    const effects = await readEffects(database.db);
    expect(effects.map((effect) => effect.eventId)).toEqual([...events.map((event) => event.id), marker.id]);
  });

  it('handles each aggregate’s events in order while handlers fail at random', async () => {
    const random = seededRandom(4222);
    const flaky = recordingSubscriber('nats-billing', {
      afterEffect: () => {
        if (random() < 0.3) throw new Error('transient failure');
      },
    });
    await natsRelay([flaky], '100');
    const published = [];
    for (let round = 0; round < 10; round += 1) {
      for (const parcel of ['a', 'b', 'c']) published.push(await publishCommitted(database.db, `parcel-${parcel}`, { round }));
    }
    await waitFor(async () => (await readEffects(database.db)).length === published.length, { message: 'every event handled' });
    const effects = await readEffects(database.db);
    for (const parcel of ['parcel-a', 'parcel-b', 'parcel-c']) {
      expect(effects.filter((effect) => effect.parcel === parcel).map((effect) => effect.eventId)).toEqual(
        published.filter((event) => event.aggregate.id === parcel).map((event) => event.id),
      );
    }
  });

  it('parks a message after the last delivery, holds back its aggregate, and a re-drive handles them in order', async () => {
    let broken = true;
    const ledger = recordingSubscriber('nats-payouts', {
      afterEffect: (event) => {
        if (broken && event.aggregate.id === 'parcel-stuck') throw new Error('bank is closed');
      },
    });
    await natsRelay([ledger], '2');
    const first = await publishCommitted(database.db, 'parcel-stuck');
    await waitFor(async () => (await deliveryOf(database.db, 'nats-payouts', first.id))?.status === 'parked', {
      message: 'the parked delivery',
    });
    expect(ledger.calls.get(first.id)).toBe(2);

    const second = await publishCommitted(database.db, 'parcel-stuck');
    const free = await publishCommitted(database.db, 'parcel-free');
    await waitFor(async () => (await effectsOf(free.id)).length === 1, { message: 'another aggregate to go on' });
    expect(ledger.calls.get(second.id)).toBeUndefined();
    expect(await deliveryOf(database.db, 'nats-payouts', second.id)).toMatchObject({ status: 'pending' });

    broken = false;
    const t = await buildTestApp({ database, config: { OPERATOR_TOKEN: operatorToken } });
    try {
      const listed = await t.app.inject({
        method: 'GET',
        url: '/v1/admin/events/parked',
        headers: { authorization: `Bearer ${operatorToken}` },
      });
      expect(listed.json()).toMatchObject({ total: 1, data: [{ subscriber: 'nats-payouts', eventId: first.id, attempts: 2 }] });
      const redrive = await t.app.inject({
        method: 'POST',
        url: '/v1/admin/events/parked/redrive',
        headers: { authorization: `Bearer ${operatorToken}` },
        payload: { subscriber: 'nats-payouts' },
      });
      expect(redrive.json()).toEqual({ redriven: 1 });
    } finally {
      await t.close();
    }
    await waitFor(() => allDelivered(database.db), { message: 'the re-driven deliveries handled' });
    const third = await publishCommitted(database.db, 'parcel-stuck');
    await waitFor(async () => (await effectsOf(third.id)).length === 1, { message: 'the aggregate flowing through NATS again' });
    const stuck = (await readEffects(database.db)).filter((effect) => effect.parcel === 'parcel-stuck');
    expect(stuck.map((effect) => effect.eventId)).toEqual([first.id, second.id, third.id]);
    expect(relay?.problem()).toBeUndefined();
  });
});
