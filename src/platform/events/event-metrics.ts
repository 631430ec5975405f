import { sql } from 'kysely';
import { Counter } from 'prom-client';
import type { Database } from '../db/database.ts';
import { observeValue, type Metrics } from '../metrics.ts';

const metricNames = {
  lag: 'tenure_outbox_lag_seconds',
  unrelayed: 'tenure_outbox_unrelayed_events',
  deliveries: 'tenure_event_deliveries',
  outcomes: 'tenure_events_handled_total',
} as const;

/**
 * The relay's gauges, read from the database at each scrape, and the counter of handled events.
 * A relay started again on the same registry replaces its earlier metrics.
 */
export function observeEventRelay(registry: Metrics, db: Database, subscriberNames: readonly string[]): Counter<'subscriber' | 'outcome'> {
  for (const name of Object.values(metricNames)) registry.removeSingleMetric(name);

  const readOutbox = async () => {
    const { rows } = await sql<{ unrelayed: number; lagSeconds: number }>`
      SELECT count(*)::int AS unrelayed,
             coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag_seconds
      FROM outbox_event WHERE relayed_at IS NULL
    `.execute(db);
    return rows[0] ?? { unrelayed: 0, lagSeconds: 0 };
  };
  observeValue(registry, {
    name: metricNames.lag,
    help: 'Age of the oldest committed outbox event not yet relayed, 0 when none waits',
    read: async () => [{ value: (await readOutbox()).lagSeconds }],
  });
  observeValue(registry, {
    name: metricNames.unrelayed,
    help: 'Committed outbox events not yet relayed',
    read: async () => [{ value: (await readOutbox()).unrelayed }],
  });
  observeValue(registry, {
    name: metricNames.deliveries,
    help: 'Deliveries waiting for a subscriber, by subscriber and status (pending or parked)',
    labelNames: ['subscriber', 'status'],
    read: async () => {
      const rows = await db
        .selectFrom('eventDelivery')
        .select(['subscriber', 'status', (eb) => eb.fn.countAll<number>().as('count')])
        .groupBy(['subscriber', 'status'])
        .execute();
      // Every known subscriber shows both statuses, 0 included, so alerts need no absent() guard.
      const counts = new Map(
        subscriberNames.flatMap((subscriber) => ['pending', 'parked'].map((status) => [`${subscriber}\n${status}`, 0])),
      );
      for (const row of rows) counts.set(`${row.subscriber}\n${row.status}`, row.count);
      return [...counts].map(([key, value]) => {
        const [subscriber = '', status = ''] = key.split('\n');
        return { labels: { subscriber, status }, value };
      });
    },
  });
  return new Counter({
    name: metricNames.outcomes,
    help: 'Deliveries by subscriber and outcome: handled, duplicate (already in the inbox), failed, parked, queued',
    labelNames: ['subscriber', 'outcome'],
    registers: [registry],
  });
}
