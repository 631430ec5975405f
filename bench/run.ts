/**
 * `npm run bench`: starts PostgreSQL (embedded and durable, or DATABASE_URL's server), makes a
 * migrated scratch database, runs every scenario, and writes the figures beside their limits to
 * bench/results/ as JSON and Markdown. See bench/README.md.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createDatabase, createOwnerPool } from '../src/platform/db/database.ts';
import { createBenchThingTable } from './bench-module.ts';
import { cpuSnapshot, otherCores } from './cpu.ts';
import { migrateDatabaseAt } from '../src/platform/db/scratch-database.ts';
import { type BenchPostgres, startBenchPostgres } from './database.ts';
import { describeMachine } from './machine.ts';
import { busyMachineCores, toMarkdown } from './report.ts';
import { type BenchResults, computeRatios, type ScenarioResult } from './results.ts';
import type { Scenario, ScenarioContext } from './scenarios/context.ts';
import { availabilityScenario } from './scenarios/availability.ts';
import { bookingsScenario } from './scenarios/bookings.ts';
import { frameworkScenario } from './scenarios/framework.ts';
import { idempotencyScenario } from './scenarios/idempotency.ts';
import { ledgerScenario } from './scenarios/ledger.ts';
import { outboxScenario } from './scenarios/outbox.ts';
import { pgbenchScenario, pgbenchVersion } from './scenarios/pgbench.ts';
import { webhooksScenario } from './scenarios/webhooks.ts';
import { benchSettings } from './settings.ts';
import { round } from './stats.ts';

const scenarios: { id: string; title: string; run: Scenario }[] = [
  { id: 'framework', title: '1. Framework ceiling vs our plugins', run: frameworkScenario },
  { id: 'idempotency', title: '2. Idempotency overhead on a one-row POST', run: idempotencyScenario },
  { id: 'outbox', title: '3. Outbox: commit → relay → subscriber', run: outboxScenario },
  { id: 'pgbench', title: '4. pgbench: the machine’s transaction ceiling', run: pgbenchScenario },
  { id: 'bookings', title: '5. Booking creation, without and with contention, beside pgbench', run: bookingsScenario },
  { id: 'availability', title: '6. A listing’s 365-night availability grid beside its SQL', run: availabilityScenario },
  { id: 'ledger', title: '7. Ledger: journal entries posted over many accounts and one hot account, beside raw SQL', run: ledgerScenario },
  { id: 'webhooks', title: '8. Payment webhooks: new events and redeliveries beside the empty route', run: webhooksScenario },
];

/** BENCH_SCENARIOS=bookings,availability runs only those (by id); every scenario by default. */
function selectedScenarios(): typeof scenarios {
  const asked = process.env.BENCH_SCENARIOS?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (!asked || asked.length === 0) return scenarios;
  const unknown = asked.filter((id) => !scenarios.some((scenario) => scenario.id === id));
  if (unknown.length > 0)
    throw new Error(`BENCH_SCENARIOS names no scenario ${unknown.join(', ')}; there are ${scenarios.map((s) => s.id).join(', ')}`);
  return scenarios.filter((scenario) => asked.includes(scenario.id));
}

const log = (message: string) => process.stdout.write(`${message}\n`);

async function runScenario(context: ScenarioContext, scenario: (typeof scenarios)[number]): Promise<ScenarioResult> {
  log(scenario.title);
  const result: ScenarioResult = {
    id: scenario.id,
    title: scenario.title,
    measurements: [],
    comparisons: [],
    notes: [],
    otherCpuCores: null,
    seconds: 0,
  };
  const ourProcesses = [process.pid, ...(context.postgres.postmasterPid === undefined ? [] : [context.postgres.postmasterPid])];
  const cpuBefore = await cpuSnapshot(ourProcesses);
  const began = performance.now();
  try {
    await scenario.run(context, result);
  } catch (error) {
    result.error = (error as Error).message;
    log(`  error: ${result.error}`);
  }
  result.seconds = round((performance.now() - began) / 1000, 1);
  const other = otherCores(cpuBefore, await cpuSnapshot(ourProcesses));
  result.otherCpuCores = other === null ? null : round(other, 2);
  if (other !== null && other > busyMachineCores) log(`  warning: other processes kept ${round(other, 2)} cores busy during this scenario`);
  return result;
}

async function prepareDatabase(postgres: BenchPostgres): Promise<{ name: string; url: string }> {
  const database = await postgres.createDatabase('app');
  await migrateDatabaseAt(database.url);
  // The owner creates the bench module's table, as a migration would.
  const db = createDatabase(createOwnerPool({ url: database.url, poolMax: 1 }));
  try {
    await createBenchThingTable(db);
  } finally {
    await db.destroy();
  }
  return database;
}

/** `YYYY-MM-DD-HHMM` in UTC. */
function stamp(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

async function writeResults(results: BenchResults, startedAt: Date): Promise<string[]> {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const markdown = toMarkdown(results);
  const files: string[] = [];
  for (const base of ['latest', stamp(startedAt)]) {
    await writeFile(`${dir}${base}.json`, json);
    await writeFile(`${dir}${base}.md`, markdown);
    files.push(`bench/results/${base}.json`, `bench/results/${base}.md`);
  }
  return files;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const began = performance.now();
  const settings = benchSettings();
  const chosen = selectedScenarios();
  log('starting PostgreSQL');
  const postgres = await startBenchPostgres((message) => log(`  ${message}`));
  let stopping: Promise<void> | undefined;
  const stopPostgres = () => (stopping ??= postgres.stop());
  const interrupted = () => {
    log('interrupted: dropping the scratch databases and stopping PostgreSQL');
    void stopPostgres().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const database = await prepareDatabase(postgres);
    const machine = describeMachine(postgres.description, await pgbenchVersion());
    log(`${machine.cpuCount} × ${machine.cpuModel}, Node ${machine.node}, PostgreSQL ${machine.postgres.version}`);
    const context: ScenarioContext = { settings, postgres, database, log };
    const results: ScenarioResult[] = [];
    for (const scenario of chosen) results.push(await runScenario(context, scenario));
    computeRatios(results);
    const report: BenchResults = {
      machine,
      settings,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      durationSeconds: round((performance.now() - began) / 1000, 1),
      scenarios: results,
    };
    const files = await writeResults(report, startedAt);
    log('');
    log(toMarkdown(report));
    log(`written: ${files.join(', ')}`);
    const failed = results.filter((result) => result.error !== undefined);
    if (failed.length > 0) log(`${failed.length} scenario(s) reported an error: ${failed.map((result) => result.id).join(', ')}`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await stopPostgres();
  }
}

process.exitCode = await main();
