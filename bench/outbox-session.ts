import { performance } from 'node:perf_hooks';
import type { Database } from '../src/platform/db/database.ts';
import type { EventContext } from '../src/platform/events/envelope.ts';
import { publish } from '../src/platform/events/outbox.ts';
import { startChild } from './child.ts';
import { benchEvent, benchEventContext } from './outbox-events.ts';
import type { Measurement } from './results.ts';
import { epochMs, type LoopResult, round, runLoops, Samples, sleep } from './stats.ts';

/** A relay worker process (`bench/relay-worker.ts`) and what it has handled so far. */
export interface RelaySession {
  handled(): number;
  /**
   * Waits until `target` events have been handled in all. `stalled`: nothing new was handled for
   * `stallSeconds`; `limit`: the relay was still handling when `limitSeconds` ran out.
   */
  waitForHandled(target: number, options: { stallSeconds: number; limitSeconds: number }): Promise<'done' | 'stalled' | 'limit'>;
  /** When each event was handled (epoch ms), by id, and the relay's own account of any problem. */
  report(): Promise<{ handled: [string, number][]; relayProblem: string | null }>;
  stop(): Promise<void>;
}

export async function startRelaySession(options: { databaseUrl: string; poolMax: number; logLevel: string }): Promise<RelaySession> {
  const child = startChild('./relay-worker.ts', {
    BENCH_DATABASE_URL: options.databaseUrl,
    BENCH_POOL_MAX: String(options.poolMax),
    BENCH_LOG_LEVEL: options.logLevel,
  });
  const progress = { handled: 0, changedAt: performance.now() };
  child.onMessage((message) => {
    if (message.type === 'progress' && message.handled !== progress.handled) {
      progress.handled = message.handled;
      progress.changedAt = performance.now();
    }
  });
  try {
    await child.waitFor('ready', 60_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    handled: () => progress.handled,
    async waitForHandled(target, { stallSeconds, limitSeconds }) {
      const began = performance.now();
      // Time spent publishing before the wait does not count as a stall.
      progress.changedAt = Math.max(progress.changedAt, began);
      while (progress.handled < target) {
        const now = performance.now();
        if (now - progress.changedAt > stallSeconds * 1000) return 'stalled';
        if (now - began > limitSeconds * 1000) return 'limit';
        await sleep(50);
      }
      return 'done';
    },
    async report() {
      child.send({ type: 'report' });
      const { handled, relayProblem } = await child.waitFor('report', 30_000);
      return { handled, relayProblem };
    },
    stop: () => child.stop(),
  };
}

/** Publishes bench events with `publish()` and remembers when each one's transaction committed. */
export class Publisher {
  /** Epoch ms at which COMMIT returned, by event id. */
  readonly commits = new Map<string, number>();
  private nextIndex = 0;
  private readonly context: EventContext = benchEventContext();

  constructor(private readonly db: Database) {}

  /** One transaction of `events` events. */
  async transaction(events: number): Promise<void> {
    const ids: string[] = [];
    await this.db.transaction().execute(async (tx) => {
      for (let row = 0; row < events; row++) ids.push((await publish(tx, this.context, benchEvent(this.nextIndex++))).id);
    });
    const committedAt = epochMs();
    for (const id of ids) this.commits.set(id, committedAt);
  }

  /** As fast as `workers` concurrent publishers go, until `maxEvents` or `seconds`, whichever comes first. */
  saturate(options: { workers: number; perTransaction: number; maxEvents: number; seconds: number }): Promise<LoopResult> {
    return runLoops({
      workers: options.workers,
      total: Math.ceil(options.maxEvents / options.perTransaction),
      seconds: options.seconds,
      operation: () => this.transaction(options.perTransaction),
    });
  }

  /** One event per transaction at a steady `perSecond`, open loop: a slow commit does not delay the next. */
  async paced(options: { perSecond: number; seconds: number }): Promise<{ events: number; errors: number }> {
    const interval = 1000 / options.perSecond;
    const total = Math.max(1, Math.floor(options.perSecond * options.seconds));
    const began = performance.now();
    const inFlight: Promise<void>[] = [];
    let errors = 0;
    for (let index = 0; index < total; index++) {
      const wait = began + index * interval - performance.now();
      if (wait > 0) await sleep(wait);
      inFlight.push(
        this.transaction(1).catch(() => {
          errors++;
        }),
      );
    }
    await Promise.all(inFlight);
    return { events: total - errors, errors };
  }
}

/** Commit → handled latency and end-to-end throughput of the events `publisher` committed since `startedAt`. */
export function endToEndMeasurement(
  key: string,
  label: string,
  input: { publisher: Publisher; handled: [string, number][]; startedAt: number; published: number },
): Measurement {
  const latencies = new Samples();
  let lastHandledAt = input.startedAt;
  for (const [id, handledAt] of input.handled) {
    const committedAt = input.publisher.commits.get(id);
    if (committedAt === undefined) continue;
    latencies.add(Math.max(0, handledAt - committedAt));
    lastHandledAt = Math.max(lastHandledAt, handledAt);
  }
  const latency = latencies.summary();
  const seconds = (lastHandledAt - input.startedAt) / 1000;
  return {
    key,
    label,
    rate: latencies.count > 0 && seconds > 0 ? round(latencies.count / seconds, 1) : null,
    unit: 'events/s',
    ...(latency ? { latencyMs: { p50: round(latency.p50, 3), p99: round(latency.p99, 3), max: round(latency.max, 3) } } : {}),
    count: latencies.count,
    seconds: round(seconds, 2),
    isLimit: false,
    problems:
      latencies.count < input.published
        ? [`${input.published - latencies.count} of ${input.published} published events not handled by the end`]
        : [],
  };
}
