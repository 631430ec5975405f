import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { compare, type Measurement } from '../results.ts';
import { round, Samples } from '../stats.ts';
import type { Scenario, ScenarioContext } from './context.ts';

const run = promisify(execFile);

/** `pgbench --version`, or null when pgbench is not on PATH. */
export async function pgbenchVersion(): Promise<string | null> {
  try {
    const { stdout } = await run('pgbench', ['--version']);
    return stdout.trim();
  } catch {
    return null;
  }
}

/** libpq's environment for a connection URL, so the password never shows on a command line. */
function libpqEnvironment(url: string): Record<string, string> {
  const parsed = new URL(url);
  return {
    PGHOST: parsed.hostname,
    PGPORT: parsed.port || '5432',
    PGUSER: decodeURIComponent(parsed.username),
    PGPASSWORD: decodeURIComponent(parsed.password),
    PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)),
    PGAPPNAME: 'tenure-bench-pgbench',
  };
}

export interface PgbenchRun {
  /** The measurement's key and the scratch database's purpose (`tenure_bench_<run>_<purpose>`). */
  key: string;
  purpose: string;
  scale: number;
  clients: number;
  threads: number;
  seconds: number;
  /** Log every transaction's latency (`pgbench -l`) for p50 and p99; otherwise pgbench gives only the average. */
  latencies?: boolean;
}

export function pgbenchLabel(options: Pick<PgbenchRun, 'scale' | 'clients' | 'threads' | 'seconds'>): string {
  return `pgbench TPC-B (scale ${options.scale}, -c ${options.clients} -j ${options.threads} -T ${options.seconds})`;
}

/**
 * `pgbench -i` on a scratch database of the same server, then TPC-B with the given clients for the
 * given seconds, as a limit; "not measured" when pgbench is not on PATH. The database is dropped after.
 */
export async function runPgbench(context: ScenarioContext, options: PgbenchRun): Promise<Measurement> {
  const { log } = context;
  const { scale, clients, threads, seconds } = options;
  const label = pgbenchLabel(options);
  const version = await pgbenchVersion();
  if (version === null) return notMeasured(options.key, label, 'not measured: pgbench is not on PATH');
  const database = await context.postgres.createDatabase(options.purpose);
  const logDir = options.latencies ? await mkdtemp(path.join(tmpdir(), 'tenure-bench-pgbench-')) : undefined;
  try {
    const env = { ...process.env, ...libpqEnvironment(database.url) };
    log(`  pgbench -i -s ${scale}`);
    await run('pgbench', ['-i', '-q', '-s', String(scale)], { env, maxBuffer: 16 * 1024 * 1024 });
    log(`  pgbench -c ${clients} -j ${threads} -T ${seconds}${logDir ? ' -l' : ''}`);
    const logArgs = logDir ? ['-l', '--log-prefix', path.join(logDir, 'pgbench_log')] : [];
    const { stdout } = await run('pgbench', ['-c', String(clients), '-j', String(threads), '-T', String(seconds), ...logArgs], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1];
    const transactions = /number of transactions actually processed: (\d+)/.exec(stdout)?.[1];
    const failed = /number of failed transactions: (\d+)/.exec(stdout)?.[1];
    if (tps === undefined) throw new Error(`could not read tps from pgbench's output:\n${stdout}`);
    const logged = logDir ? (await loggedLatencies(logDir)).summary() : undefined;
    const latencyMs = {
      ...(latency === undefined ? {} : { mean: Number(latency) }),
      ...(logged ? { p50: round(logged.p50, 3), p99: round(logged.p99, 3), max: round(logged.max, 3) } : {}),
    };
    return {
      key: options.key,
      label,
      rate: Number(tps),
      unit: 'tps',
      ...(Object.keys(latencyMs).length > 0 ? { latencyMs } : {}),
      ...(transactions === undefined ? {} : { count: Number(transactions) }),
      seconds,
      isLimit: true,
      problems: failed !== undefined && Number(failed) > 0 ? [`${failed} failed transactions`] : [],
    };
  } finally {
    await context.postgres.dropDatabase(database.name);
    if (logDir) await rm(logDir, { recursive: true, force: true });
  }
}

/** Every transaction's latency from pgbench's per-transaction logs (third field, in µs), in ms. */
async function loggedLatencies(dir: string): Promise<Samples> {
  const samples = new Samples();
  for (const file of await readdir(dir)) {
    for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line !== '' && Number.isFinite(micros)) samples.add(micros / 1000);
    }
  }
  return samples;
}

/**
 * Scenario 4: PostgreSQL's own TPC-B-like load on a scratch database of the same server, as the
 * machine's transaction ceiling. Without pgbench the scenario reports "not measured" and moves on.
 */
export const pgbenchScenario: Scenario = async (context, result) => {
  const { settings } = context;
  result.comparisons.push(
    compare('http.post.nokey', 'pgbench.tpcb', 'our POSTs per TPC-B transaction (TPC-B is 5 statements; ours is 1 INSERT)'),
    compare('http.post.uniquekey', 'pgbench.tpcb', 'the same with an Idempotency-Key'),
    compare('outbox.e2e.single', 'pgbench.tpcb', 'events delivered end to end per TPC-B transaction'),
    compare('outbox.e2e.batch', 'pgbench.tpcb', 'the same, published 100 per transaction'),
  );
  const measurement = await runPgbench(context, { key: 'pgbench.tpcb', purpose: 'pgbench', ...settings.pgbench });
  result.measurements.push(measurement);
  const version = await pgbenchVersion();
  if (version !== null) result.notes.push(`${version}, against the same server as every other scenario; tps excludes connection time.`);
};

function notMeasured(key: string, label: string, reason: string): Measurement {
  return { key, label, rate: null, unit: 'tps', isLimit: true, problems: [reason] };
}
