import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { publishCommitted } from '../../../test/helpers/events.ts';
import type { EventEnvelope } from './envelope.ts';
import { purgeHandledEvents } from './retention.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function age(event: EventEnvelope, days: number, relayed: boolean): Promise<void> {
  await sql`
    UPDATE outbox_event
    SET created_at = now() - make_interval(days => ${days}),
        relayed_at = ${relayed ? sql`now() - make_interval(days => ${days})` : sql`NULL`}
    WHERE id = ${event.id}
  `.execute(database.db);
}

async function deliver(event: EventEnvelope, subscriber: string, status: 'pending' | 'parked'): Promise<void> {
  const { seq } = await database.db.selectFrom('outboxEvent').select('seq').where('id', '=', event.id).executeTakeFirstOrThrow();
  await database.db
    .insertInto('eventDelivery')
    .values({
      subscriber,
      eventId: event.id,
      eventSeq: seq,
      orderingKey: `parcel:${event.aggregate.id}`,
      status,
      parkedAt: status === 'parked' ? new Date() : null,
    })
    .execute();
}

async function handled(subscriber: string, event: EventEnvelope, daysAgo: number): Promise<void> {
  await sql`INSERT INTO event_inbox (subscriber, event_id, handled_at) VALUES (${subscriber}, ${event.id}, now() - make_interval(days => ${daysAgo}))`.execute(
    database.db,
  );
}

describe('purging handled events', () => {
  it('deletes old relayed events nobody waits for and old inbox rows, and keeps everything else', async () => {
    const oldHandled = await publishCommitted(database.db, 'parcel-old');
    const oldParked = await publishCommitted(database.db, 'parcel-parked');
    const oldPending = await publishCommitted(database.db, 'parcel-pending');
    const oldUnrelayed = await publishCommitted(database.db, 'parcel-unrelayed');
    const recent = await publishCommitted(database.db, 'parcel-recent');
    await age(oldHandled, 10, true);
    await age(oldParked, 10, true);
    await age(oldPending, 10, true);
    await age(oldUnrelayed, 10, false);
    await age(recent, 2, true);
    await deliver(oldParked, 'ledger', 'parked');
    await deliver(oldPending, 'ledger', 'pending');
    await handled('ledger', oldHandled, 10);
    await handled('audit', oldHandled, 10);
    await handled('ledger', recent, 2);

    expect(await purgeHandledEvents(database.db, 7)).toBe(3);

    const outbox = await database.db.selectFrom('outboxEvent').select('id').execute();
    expect(outbox.map((row) => row.id).toSorted()).toEqual([oldParked.id, oldPending.id, oldUnrelayed.id, recent.id].toSorted());
    const inbox = await database.db.selectFrom('eventInbox').select(['subscriber', 'eventId']).execute();
    expect(inbox).toEqual([{ subscriber: 'ledger', eventId: recent.id }]);
    expect(await database.db.selectFrom('eventDelivery').select('eventId').execute()).toHaveLength(2);
    expect(await purgeHandledEvents(database.db, 7)).toBe(0);
  });
});
