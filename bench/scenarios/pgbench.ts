import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { compare, type Measurement } from '../results.ts';
import type { Scenario } from './context.ts';

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

/**
 * Scenario 4: PostgreSQL's own TPC-B-like load on a scratch database of the same server, as the
 * machine's transaction ceiling. Without pgbench the scenario reports "not measured" and moves on.
 */
export const pgbenchScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const { scale, clients, threads, seconds } = settings.pgbench;
  const label = `pgbench TPC-B (scale ${scale}, -c ${clients} -j ${threads} -T ${seconds})`;
  result.comparisons.push(
    compare('http.post.nokey', 'pgbench.tpcb', 'our POSTs per TPC-B transaction (TPC-B is 5 statements; ours is 1 INSERT)'),
    compare('http.post.uniquekey', 'pgbench.tpcb', 'the same with an Idempotency-Key'),
    compare('outbox.e2e.single', 'pgbench.tpcb', 'events delivered end to end per TPC-B transaction'),
    compare('outbox.e2e.batch', 'pgbench.tpcb', 'the same, published 100 per transaction'),
  );

  const version = await pgbenchVersion();
  if (version === null) {
    result.measurements.push(notMeasured(label, 'not measured: pgbench is not on PATH'));
    return;
  }
  const database = await context.postgres.createDatabase('pgbench');
  try {
    const env = { ...process.env, ...libpqEnvironment(database.url) };
    log(`  pgbench -i -s ${scale}`);
    await run('pgbench', ['-i', '-q', '-s', String(scale)], { env, maxBuffer: 16 * 1024 * 1024 });
    log(`  pgbench -c ${clients} -j ${threads} -T ${seconds}`);
    const { stdout } = await run('pgbench', ['-c', String(clients), '-j', String(threads), '-T', String(seconds)], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(stdout)?.[1];
    const transactions = /number of transactions actually processed: (\d+)/.exec(stdout)?.[1];
    const failed = /number of failed transactions: (\d+)/.exec(stdout)?.[1];
    if (tps === undefined) throw new Error(`could not read tps from pgbench's output:\n${stdout}`);
    result.measurements.push({
      key: 'pgbench.tpcb',
      label,
      rate: Number(tps),
      unit: 'tps',
      ...(latency === undefined ? {} : { latencyMs: { mean: Number(latency) } }),
      ...(transactions === undefined ? {} : { count: Number(transactions) }),
      seconds,
      isLimit: true,
      problems: failed !== undefined && Number(failed) > 0 ? [`${failed} failed transactions`] : [],
    });
    result.notes.push(`${version}, against the same server as every other scenario; tps excludes connection time.`);
  } finally {
    await context.postgres.dropDatabase(database.name);
  }
};

function notMeasured(label: string, reason: string): Measurement {
  return { key: 'pgbench.tpcb', label, rate: null, unit: 'tps', isLimit: true, problems: [reason] };
}
