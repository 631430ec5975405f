import type pg from 'pg';
import { createClient, createDatabase, createPool, type Database } from '../../src/platform/db/database.ts';
import { buildEnvelope } from '../../src/platform/events/envelope.ts';
import { benchEvent, benchEventContext } from '../outbox-events.ts';
import { endToEndMeasurement, Publisher, type RelaySession, startRelaySession } from '../outbox-session.ts';
import { asLimit, compare, type Measurement } from '../results.ts';
import type { BenchSettings } from '../settings.ts';
import { epochMs, loopMeasurement, round, runLoops } from '../stats.ts';
import { type Scenario, type ScenarioContext, serverOptions } from './context.ts';

/**
 * Scenario 3: the transactional outbox end to end. The bench process publishes with `publish()`
 * and records when each transaction committed; a relay worker in its own process records when its
 * subscriber handled each event. The limit is the raw INSERT of the same outbox rows, no relay.
 */
interface Mode {
  id: 'single' | 'batch';
  perTransaction: number;
  label: string;
}

interface RunOutcome {
  measurements: Measurement[];
  /** Why the relay's figures could not be measured: the scenario reports it as its error. */
  failure?: string;
  /** The relay handled nothing at all: later runs need not wait for it. */
  deliveredNothing: boolean;
}

export const outboxScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const modes: Mode[] = [
    { id: 'single', perTransaction: 1, label: '1 event per transaction' },
    { id: 'batch', perTransaction: settings.eventBatch, label: `${settings.eventBatch} events per transaction` },
  ];
  const pool = createPool({ url: context.database.url, poolMax: settings.poolMax, applicationName: 'tenure-bench-publisher' });
  const db = createDatabase(pool);
  try {
    for (const mode of modes) {
      log(`  raw SQL limit: outbox rows, ${mode.label}, no relay`);
      result.measurements.push(asLimit(await rawInsert(pool, settings, mode)));
      await clearOutbox(context.database.url);
    }

    const failures: string[] = [];
    let relayDeliveredNothing = false;
    for (const mode of modes) {
      log(`  publish() → relay → subscriber at full speed, ${mode.label}`);
      const outcome = await saturatedRun(context, db, mode, relayDeliveredNothing);
      result.measurements.push(...outcome.measurements);
      if (outcome.failure) failures.push(`${mode.label}: ${outcome.failure}`);
      relayDeliveredNothing ||= outcome.deliveredNothing;
    }

    const saturated = result.measurements.find((measurement) => measurement.key === 'outbox.e2e.single')?.rate;
    if (failures.length === 0 && saturated != null) {
      const perSecond = Math.max(1, round(saturated * settings.pacedShare, 1));
      log(`  publish() → relay → subscriber paced at ${perSecond} events/s`);
      const outcome = await pacedRun(context, db, perSecond);
      result.measurements.push(...outcome.measurements);
      if (outcome.failure) failures.push(`paced: ${outcome.failure}`);
      result.comparisons.push(
        compare(
          'outbox.e2e.paced',
          'outbox.e2e.single',
          `offered at ${settings.pacedShare} of the saturated rate; at ${settings.pacedShare} the relay kept up: read its latency`,
        ),
      );
    }

    for (const mode of modes) {
      result.comparisons.push(
        compare(`outbox.e2e.${mode.id}`, `sql.outbox.${mode.id}`, 'share of the raw insert rate that reaches a subscriber'),
        compare(`outbox.publish.${mode.id}`, `sql.outbox.${mode.id}`, 'publish() and COMMIT (with its NOTIFY) against the bare INSERT'),
      );
    }
    result.notes.push(
      `Saturated runs: ${settings.eventWorkers} concurrent publishers over a pool of ${settings.poolMax} publish for ${settings.seconds} s or ${settings.events} events, whichever ends first, ` +
        `then the relay has ${settings.relayDrainSeconds} s more to work off its backlog. ${settings.eventWarmup} warm-up events first, left out. One aggregate per event.`,
      'Latency runs from the moment COMMIT returned to the publisher until the subscriber was called in the relay worker process. ' +
        'Throughput is the events handled divided by the time from the first publish to the last event handled. ' +
        'Under saturation the latency is mostly time spent in the backlog; the paced run shows it without one.',
      'The relay runs with the defaults Tenure starts it with (src/main.ts): its configuration defaults, no NATS.',
    );
    if (failures.length > 0) throw new Error(failures.join('; '));
  } finally {
    await db.destroy();
  }
};

const outboxColumns = '(id, type, aggregate_type, aggregate_id, tenant_id, envelope)';

/** The rows `publish()` writes, inserted with autocommit by as many workers, `perTransaction` rows per statement. */
async function rawInsert(pool: pg.Pool, settings: BenchSettings, mode: Mode): Promise<Measurement> {
  const placeholders = Array.from({ length: mode.perTransaction }, (_, row) => {
    const first = row * 6;
    return `($${first + 1}, $${first + 2}, $${first + 3}, $${first + 4}, $${first + 5}, $${first + 6})`;
  });
  const text = `INSERT INTO outbox_event ${outboxColumns} VALUES ${placeholders.join(', ')}`;
  const context = benchEventContext();
  const loop = await runLoops({
    workers: settings.eventWorkers,
    total: Math.ceil(settings.events / mode.perTransaction),
    seconds: settings.seconds,
    operation: async (index) => {
      const values: (string | null)[] = [];
      for (let row = 0; row < mode.perTransaction; row++) {
        const envelope = buildEnvelope(benchEvent(index * mode.perTransaction + row), context);
        values.push(
          envelope.id,
          envelope.type,
          envelope.aggregate.type,
          envelope.aggregate.id,
          envelope.tenantId,
          JSON.stringify(envelope),
        );
      }
      await pool.query(text, values);
    },
  });
  return loopMeasurement(`sql.outbox.${mode.id}`, `Raw SQL INSERT of outbox rows, ${mode.label} (no relay)`, loop, {
    unit: 'rows/s',
    perOperation: mode.perTransaction,
    isLimit: true,
  });
}

/** As the tables' owner: the application role may not TRUNCATE (docs/decisions/0012). */
async function clearOutbox(url: string): Promise<void> {
  const owner = createClient(url);
  await owner.connect();
  try {
    await owner.query('TRUNCATE outbox_event, event_delivery, event_inbox');
  } finally {
    await owner.end();
  }
}

/** Starts a relay worker, runs `work` with it, then stops it and empties the outbox for the next run. */
async function withRelay<T>(context: ScenarioContext, db: Database, work: (session: RelaySession) => Promise<T>): Promise<T> {
  const session = await startRelaySession(serverOptions(context));
  try {
    return await work(session);
  } finally {
    await session.stop();
    await clearOutbox(context.database.url);
  }
}

/**
 * Publishes the warm-up events and waits for them. A relay that handles none of them within the
 * stall limit has failed (it may not be implemented yet): the caller reports it and moves on.
 */
async function warmUp(
  context: ScenarioContext,
  session: RelaySession,
  publisher: Publisher,
  perTransaction: number,
  skipWait: boolean,
): Promise<{ count: number; failure?: string }> {
  const { settings } = context;
  await publisher.saturate({ workers: settings.eventWorkers, perTransaction, maxEvents: settings.eventWarmup, seconds: 60 });
  const count = publisher.commits.size;
  publisher.commits.clear();
  if (skipWait) return { count, failure: 'not waited for: the relay handled no event in the previous run' };
  const outcome = await session.waitForHandled(count, { stallSeconds: settings.relayStallSeconds, limitSeconds: 60 });
  if (outcome === 'done') return { count };
  return {
    count,
    failure: `no progress: the relay handled ${session.handled()} of ${count} warm-up events, then nothing for ${settings.relayStallSeconds} s`,
  };
}

async function drain(context: ScenarioContext, session: RelaySession, target: number, failure: string | undefined) {
  const { settings } = context;
  if (failure !== undefined) return { failure, problems: [] };
  const outcome = await session.waitForHandled(target, {
    stallSeconds: settings.relayStallSeconds,
    limitSeconds: settings.relayDrainSeconds,
  });
  if (outcome === 'stalled')
    return { failure: `the relay stopped handling events ${target - session.handled()} short of ${target}`, problems: [] };
  if (outcome === 'limit') {
    return {
      failure: undefined,
      problems: [
        `the relay still had a backlog when the ${settings.relayDrainSeconds} s drain limit ran out: it handles fewer events per second ` +
          'than publish() commits, and the latencies cover the handled events only',
      ],
    };
  }
  return { failure: undefined, problems: [] };
}

async function saturatedRun(context: ScenarioContext, db: Database, mode: Mode, relayDeliveredNothing: boolean): Promise<RunOutcome> {
  const { settings } = context;
  return withRelay(context, db, async (session) => {
    const publisher = new Publisher(db);
    const warm = await warmUp(context, session, publisher, mode.perTransaction, relayDeliveredNothing);
    const startedAt = epochMs();
    const loop = await publisher.saturate({
      workers: settings.eventWorkers,
      perTransaction: mode.perTransaction,
      maxEvents: settings.events,
      seconds: settings.seconds,
    });
    const published = publisher.commits.size;
    const publishFigure = loopMeasurement(`outbox.publish.${mode.id}`, `publish() and COMMIT, ${mode.label}`, loop, {
      unit: 'events/s',
      perOperation: mode.perTransaction,
      isLimit: false,
    });
    const drained = await drain(context, session, warm.count + published, warm.failure);
    const report = await session.report();
    const endToEnd = endToEndMeasurement(`outbox.e2e.${mode.id}`, `Commit → subscriber, ${mode.label}`, {
      publisher,
      handled: report.handled,
      startedAt,
      published,
    });
    endToEnd.problems.push(...drained.problems, ...(report.relayProblem ? [`relay: ${report.relayProblem}`] : []));
    return { measurements: [publishFigure, endToEnd], failure: drained.failure, deliveredNothing: report.handled.length === 0 };
  });
}

async function pacedRun(context: ScenarioContext, db: Database, perSecond: number): Promise<RunOutcome> {
  const { settings } = context;
  return withRelay(context, db, async (session) => {
    const publisher = new Publisher(db);
    const warm = await warmUp(context, session, publisher, 1, false);
    const startedAt = epochMs();
    const { events, errors } = await publisher.paced({ perSecond, seconds: settings.seconds });
    const drained = await drain(context, session, warm.count + events, warm.failure);
    const report = await session.report();
    const endToEnd = endToEndMeasurement(
      'outbox.e2e.paced',
      `Commit → subscriber, 1 event per transaction, paced at ${perSecond} events/s`,
      {
        publisher,
        handled: report.handled,
        startedAt,
        published: events,
      },
    );
    endToEnd.problems.push(...drained.problems, ...(errors > 0 ? [`${errors} publishing transactions failed`] : []));
    return { measurements: [endToEnd], failure: drained.failure, deliveredNothing: report.handled.length === 0 };
  });
}
