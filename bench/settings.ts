import { loadConfig } from '../src/platform/config.ts';

/**
 * What every scenario runs with. The defaults keep `npm run bench` under about three minutes on a
 * two-core machine; the environment may shorten a run while working on the bench itself.
 */
export interface BenchSettings {
  /** Measured seconds of each HTTP and raw-SQL load. */
  seconds: number;
  /** Seconds of load thrown away before each measured run, so the JIT and the pools are warm. */
  warmupSeconds: number;
  /** autocannon connections, and the raw-SQL workers of the idempotency limit. */
  connections: number;
  pipelining: number;
  /** The application's database pool (its configuration default); the raw-SQL limits use the same. */
  poolMax: number;
  /** Events published by each outbox run. */
  events: number;
  /** Concurrent publishers in the outbox runs. */
  eventWorkers: number;
  /** Events per transaction in the batched outbox run. */
  eventBatch: number;
  /** Events published and handled before each outbox run, left out of its figures. */
  eventWarmup: number;
  /** A relay that handles nothing new for this long has stalled: the run stops and reports it as an error. */
  relayStallSeconds: number;
  /** How long an outbox run waits, once publishing has ended, for the relay to work off its backlog. */
  relayDrainSeconds: number;
  /** The paced outbox run offers this share of the relay's measured throughput, to read latency without a backlog. */
  pacedShare: number;
  pgbench: { scale: number; clients: number; threads: number; seconds: number };
  /**
   * Scenario 5, bookings over HTTP: `connections` concurrent clients (autocannon's), and pgbench run
   * beside them at that same concurrency for `seconds`, on a database of `pgbenchScale`.
   */
  bookings: {
    /** Units of the uncontended load's unit type: each request books its own unit and nights. */
    units: number;
    /** Units of the contended load's unit type, which every request asks for. */
    contendedUnits: number;
    /** Requests sent together for overlapping nights: a new window of nights every this many requests. */
    contendedGroup: number;
    pgbenchScale: number;
  };
  /** Scenario 6, a listing's availability grid: its nights, units, and the bookings and blocks made first. */
  grid: { nights: number; units: number; bookings: number; blocks: number };
  /** Scenario 7, the ledger: the customers' receivables and owners' escrow accounts that entries spread over take them in turn. */
  ledger: { accounts: number };
  /**
   * Scenario 8, webhooks: the payments made first, each finalised by one webhook of the load (warm-up
   * included); a load that outruns them is flagged.
   */
  webhooks: { payments: number };
  /** Log level of the Tenure server under load; `warn` leaves out the per-request log lines. */
  serverLogLevel: string;
}

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number (got ${JSON.stringify(raw)})`);
  return value;
}

export function benchSettings(): BenchSettings {
  return {
    seconds: numberFrom('BENCH_SECONDS', 10),
    warmupSeconds: numberFrom('BENCH_WARMUP_SECONDS', 2),
    connections: 50,
    pipelining: 1,
    poolMax: loadConfig({ DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX }).DATABASE_POOL_MAX,
    events: Math.round(numberFrom('BENCH_EVENTS', 20_000)),
    eventWorkers: 20,
    eventBatch: 100,
    eventWarmup: 200,
    relayStallSeconds: numberFrom('BENCH_RELAY_STALL_SECONDS', 15),
    relayDrainSeconds: numberFrom('BENCH_RELAY_DRAIN_SECONDS', 10),
    pacedShare: 0.5,
    pgbench: { scale: 10, clients: 8, threads: 2, seconds: Math.round(numberFrom('BENCH_PGBENCH_SECONDS', 15)) },
    bookings: {
      units: 50,
      contendedUnits: 5,
      contendedGroup: 50,
      pgbenchScale: Math.round(numberFrom('BENCH_BOOKINGS_PGBENCH_SCALE', 50)),
    },
    grid: { nights: 365, units: 20, bookings: Math.round(numberFrom('BENCH_GRID_BOOKINGS', 300)), blocks: 6 },
    ledger: { accounts: Math.round(numberFrom('BENCH_LEDGER_ACCOUNTS', 1000)) },
    webhooks: { payments: Math.round(numberFrom('BENCH_WEBHOOK_PAYMENTS', 2000)) },
    serverLogLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  };
}
