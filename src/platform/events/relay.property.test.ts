import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import {
  allDelivered,
  clearEvents,
  createEffectTable,
  publishParcelEvent,
  readEffects,
  recordingSubscriber,
  startTestRelay,
} from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import type { EventEnvelope } from './envelope.ts';
import type { EventRelay } from './relay.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
  await createEffectTable(database.owner);
});
afterAll(() => database.drop());

const parcels = ['p0', 'p1', 'p2'];
const subscriberNames = ['alpha', 'beta'];

/**
 * A use case publishes one to three events; each fails its first `failures` handlings per
 * subscriber. Use cases run one after another, as changes to one aggregate do.
 */
const publishCommand = fc.record({
  kind: fc.constant('publish' as const),
  events: fc.array(fc.record({ parcel: fc.constantFrom(...parcels), failures: fc.integer({ min: 0, max: 2 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  commit: fc.boolean(),
});
const command = fc.oneof(
  { arbitrary: publishCommand, weight: 6 },
  { arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('restart' as const) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('toggle second relay' as const) }), weight: 1 },
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

class Run {
  readonly committed: EventEnvelope[] = [];
  readonly rolledBack: EventEnvelope[] = [];
  /** Failures still to inject, by `subscriber:eventId`. */
  readonly failuresLeft = new Map<string, number>();
  relay: EventRelay | undefined;
  /** Another process's relay, working beside the first one while it runs. */
  second: EventRelay | undefined;

  subscribers() {
    return subscriberNames.map((name) =>
      recordingSubscriber(name, {
        afterEffect: (event) => {
          const key = `${name}:${event.id}`;
          const left = this.failuresLeft.get(key) ?? 0;
          if (left > 0) {
            this.failuresLeft.set(key, left - 1);
            throw new Error('transient failure');
          }
        },
      }),
    );
  }

  async start(): Promise<void> {
    this.relay = await startTestRelay(database, this.subscribers(), { dispatchConcurrency: 2, batchSize: 4 });
  }

  async stop(): Promise<void> {
    await Promise.all([this.relay?.stop(), this.second?.stop()]);
  }

  async apply(command: Command): Promise<void> {
    if (command.kind === 'publish') await this.publish(command);
    else if (command.kind === 'duplicate') await this.deliverAgain(command.pick);
    else if (command.kind === 'restart') {
      await this.relay?.stop();
      await this.start();
    } else if (this.second) {
      await this.second.stop();
      this.second = undefined;
    } else {
      this.second = await startTestRelay(database, this.subscribers(), { batchSize: 3 });
    }
  }

  private async publish(command: Extract<Command, { kind: 'publish' }>): Promise<void> {
    const published: EventEnvelope[] = [];
    await database.db
      .transaction()
      .execute(async (tx) => {
        for (const { parcel, failures } of command.events) {
          const event = await publishParcelEvent(tx, parcel);
          for (const name of subscriberNames) this.failuresLeft.set(`${name}:${event.id}`, failures);
          published.push(event);
        }
        if (!command.commit) throw new Error('the use case rolls back');
      })
      .catch(() => undefined);
    (command.commit ? this.committed : this.rolledBack).push(...published);
  }

  /** A delivery row again for an event some subscriber has already handled, as a redelivery would. */
  private async deliverAgain(pick: number): Promise<void> {
    const handled = await database.db.selectFrom('eventInbox').select(['subscriber', 'eventId']).orderBy('handledAt').execute();
    const chosen = handled[pick % Math.max(1, handled.length)];
    if (!chosen) return;
    const event = await database.db
      .selectFrom('outboxEvent')
      .select(['seq', 'aggregateId'])
      .where('id', '=', chosen.eventId)
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto('eventDelivery')
      .values({ subscriber: chosen.subscriber, eventId: chosen.eventId, eventSeq: event.seq, orderingKey: `parcel:${event.aggregateId}` })
      .onConflict((conflict) => conflict.columns(['subscriber', 'eventId']).doNothing())
      .execute();
  }
}

describe('the relay as a whole', () => {
  it('handles every committed event exactly once per subscriber, never a rolled-back one, in order per aggregate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 20 }), async (commands) => {
        await clearEvents(database.owner);
        const run = new Run();
        await run.start();
        try {
          for (const step of commands) await run.apply(step);
          await waitFor(() => allDelivered(database.db), { message: 'every delivery to be handled' });
        } finally {
          await run.stop();
        }
        for (const name of subscriberNames) {
          const effects = await readEffects(database.db, name);
          expect(effects.map((effect) => effect.eventId).toSorted()).toEqual(run.committed.map((event) => event.id).toSorted());
          for (const parcel of parcels) {
            const inOrder = run.committed.filter((event) => event.aggregate.id === parcel).map((event) => event.id);
            expect(effects.filter((effect) => effect.parcel === parcel).map((effect) => effect.eventId)).toEqual(inOrder);
          }
        }
      }),
      { numRuns: 25 },
    );
  });
});
