/**
 * The real process, `node --import tsx src/main.ts`, started the way an operator starts it: no
 * DATABASE_URL, so it runs its own embedded PostgreSQL from a data folder. Every start sets
 * EMBEDDED_POSTGRES_PORT to a port that is already taken, so no test ever touches the default port
 * (a developer's own instance may hold it) and every start proves the fall-back to a free port.
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { describe, expect, it, type TestContext } from 'vitest';
import { createClient } from '../../src/platform/db/database.ts';
import { readMigrations } from '../../src/platform/db/migrate.ts';
import {
  matchesMessage,
  postmasterPid,
  ProcessHarness,
  processesMentioning,
  type RunningTenure,
  startSlowRequest,
  type TenureProcess,
  waitUntilNoProcessMentions,
  waitUntilRefused,
} from '../helpers/process.ts';

/**
 * Timeout of a test that starts the server once or twice. A start takes 2-4 s on an idle machine,
 * but these tests run side by side and may share the machine with other suites.
 */
const slow = { timeout: 150_000 };

/** The test's own processes, folders and ports, released when it finishes, passed or failed. */
function processesOf({ onTestFinished }: TestContext): ProcessHarness {
  const harness = new ProcessHarness();
  onTestFinished(() => harness.cleanup());
  return harness;
}

/** Starts Tenure on the folder (a fresh one by default) with its preferred PostgreSQL port taken. */
async function start(
  harness: ProcessHarness,
  options: { dataDir?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<RunningTenure & { takenPort: number }> {
  const dataDir = options.dataDir ?? (await harness.dataDir());
  const takenPort = await harness.occupiedPort();
  const running = await harness.start({
    dataDir,
    args: options.args,
    env: { EMBEDDED_POSTGRES_PORT: String(takenPort), ...options.env },
  });
  return { ...running, takenPort };
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url);
  return { status: response.status, body: await response.json() };
}

async function readinessChecks(url: string): Promise<string[]> {
  const { status, body } = await getJson(`${url}/health/ready`);
  expect(status, JSON.stringify(body)).toBe(200);
  const reply = body as { status: string; checks: { name: string; status: string }[] };
  expect(reply.status).toBe('ok');
  for (const check of reply.checks) expect(check.status, check.name).toBe('ok');
  return reply.checks.map((check) => check.name);
}

/** A superuser connection to the embedded server, as an operator would open one. */
async function connectToEmbedded(running: RunningTenure): Promise<pg.Client> {
  const password = (await readFile(path.join(running.process.dataDir, 'superuser-password'), 'utf8')).trim();
  const client = createClient(`postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${running.postgresPort}/postgres`);
  await client.connect();
  return client;
}

async function withEmbedded<T>(running: RunningTenure, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await connectToEmbedded(running);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Exits 0 within the 10 s shutdown budget after the signal. */
async function expectCleanStop(tenure: TenureProcess, signal: NodeJS.Signals): Promise<void> {
  const exit = await tenure.stop(signal);
  expect({ code: exit.code, signal: exit.signal }, tenure.output()).toEqual({ code: 0, signal: null });
  expect(exit.elapsedMs).toBeLessThan(10_000);
  expect(tenure.hasLog('stopped')).toBe(true);
}

/** The embedded server is stopped: its pid file is gone and no process runs on the folder. */
async function expectNothingLeft(tenure: TenureProcess): Promise<void> {
  expect(await postmasterPid(tenure.clusterDir)).toBeUndefined();
  expect(await waitUntilNoProcessMentions(tenure.dataDir)).toEqual([]);
}

describe.concurrent('the server process', () => {
  it(
    'starts on an embedded PostgreSQL on a free port when the preferred one is taken, and serves health, OpenAPI and docs',
    slow,
    async (context) => {
      const running = await start(processesOf(context));
      const { process: tenure, url } = running;

      expect(running.postgresPort).toBeGreaterThan(0);
      expect(running.postgresPort).not.toBe(running.takenPort);
      expect(tenure.logs.find((line) => matchesMessage(line, /^Tenure is listening on/))).toMatchObject({
        role: 'all',
        embeddedPostgres: true,
      });

      expect(await getJson(`${url}/health/live`)).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await readinessChecks(url)).toEqual(['database', 'jobs', 'event relay']);

      const openapi = await getJson(`${url}/openapi.json`);
      expect(openapi.status).toBe(200);
      expect(openapi.body).toMatchObject({ openapi: expect.stringMatching(/^3\.1\./) as unknown, info: { title: 'Tenure API' } });
      expect(Object.keys((openapi.body as { paths: object }).paths)).toContain('/health/ready');

      const docs = await fetch(`${url}/docs/`);
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await docs.text()).toMatch(/<html/i);

      // Run as root (as the test machine does), Tenure hands PostgreSQL to the `postgres` system user.
      const pid = await postmasterPid(tenure.clusterDir);
      const postmaster = (await processesMentioning(tenure.clusterDir)).find((line) => Number(line.trim().split(/\s+/)[0]) === pid);
      expect(postmaster?.trim().split(/\s+/)[1]).toBe(userInfo().uid === 0 ? 'postgres' : userInfo().username);

      await expectCleanStop(tenure, 'SIGTERM');
      await expectNothingLeft(tenure);
    },
  );

  it.for(['SIGTERM', 'SIGINT'] as const)(
    'on %s answers the requests in flight, exits 0 within 10 s and leaves no PostgreSQL running',
    slow,
    async (signal, context) => {
      const { process: tenure, url } = await start(processesOf(context));

      // Five requests the server has begun but cannot answer until the rest of their bodies arrive.
      const requests = await Promise.all([1, 2, 3, 4, 5].map((n) => startSlowRequest(url, `/v1/in-flight/${n}`)));
      await tenure.waitForLog(() => tenure.logs.filter((line) => line.msg === 'incoming request').length === 5);

      const signalledAt = Date.now();
      tenure.child.kill(signal);
      await tenure.waitForLog((line) => line.msg === 'shutting down' && line.reason === signal);
      // The listener is closed, so these requests really are in flight during the shutdown.
      await waitUntilRefused(url);

      for (const request of requests) request.finish();
      const responses = await Promise.all(requests.map((request) => request.response));
      for (const [index, response] of responses.entries()) {
        expect(response.status).toBe(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        // Answered, then the keep-alive connection is closed so it cannot hold the shutdown open.
        expect(response.headers.connection).toBe('close');
        expect(JSON.parse(response.body)).toMatchObject({
          status: 404,
          code: 'request.not_found',
          detail: `No route matches POST /v1/in-flight/${index + 1}`,
        });
      }

      const exit = await tenure.waitForExit();
      expect(exit, tenure.output()).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
      expect(tenure.hasLog('stopped')).toBe(true);
      await expectNothingLeft(tenure);
      for (const request of requests) request.close();
    },
  );

  it(
    'gives up on a request that never finishes after SHUTDOWN_TIMEOUT_MS, exits 1 and still stops its PostgreSQL',
    slow,
    async (context) => {
      const { process: tenure, url } = await start(processesOf(context), { env: { SHUTDOWN_TIMEOUT_MS: '1000' } });
      const stuck = await startSlowRequest(url, '/v1/never-finished');
      await tenure.waitForLog((line) => line.msg === 'incoming request');

      const exit = await tenure.stop('SIGTERM');
      expect({ code: exit.code, signal: exit.signal }, tenure.output()).toEqual({ code: 1, signal: null });
      expect(tenure.hasLog(/^shutdown took too long/)).toBe(true);
      await expectNothingLeft(tenure);
      stuck.close();
    },
  );

  it('keeps its data across a restart and applies each migration once', slow, async (context) => {
    const harness = processesOf(context);
    const migrations = (await readMigrations()).map((file) => file.name);
    const first = await start(harness);
    const dataDir = first.process.dataDir;
    expect(first.process.logs.find((line) => line.msg === 'migrations applied')?.applied).toEqual(migrations);
    await withEmbedded(first, async (client) => {
      await client.query('CREATE TABLE restart_probe (note text)');
      await client.query("INSERT INTO restart_probe VALUES ('written before the restart')");
    });
    await expectCleanStop(first.process, 'SIGTERM');

    const restartedAt = new Date();
    const second = await start(harness, { dataDir });
    expect(second.process.hasLog(/^initialising/)).toBe(false);
    expect(second.process.hasLog('migrations applied')).toBe(false);
    expect(second.process.logs.find((line) => line.msg === 'database is up to date')?.applied).toEqual([]);
    await withEmbedded(second, async (client) => {
      const probe = await client.query<{ note: string }>('SELECT note FROM restart_probe');
      expect(probe.rows).toEqual([{ note: 'written before the restart' }]);
      const applied = await client.query<{ name: string; applied_at: Date }>('SELECT name, applied_at FROM schema_migration ORDER BY name');
      expect(applied.rows.map((row) => row.name)).toEqual(migrations);
      for (const row of applied.rows) expect(row.applied_at.getTime()).toBeLessThan(restartedAt.getTime());
    });

    await expectCleanStop(second.process, 'SIGINT');
    await expectNothingLeft(second.process);
  });

  it.for<{ args: string[]; env: Record<string, string>; line: string }>([
    { args: [], env: { PORT: 'abc' }, line: 'Invalid configuration: PORT must be a number (got "abc")' },
    { args: ['--role', 'bogus'], env: {}, line: 'Invalid configuration: --role must be one of all, api, worker' },
  ])('refuses $line with that one line on stderr and exit code 1', slow, async ({ args, env, line }, context) => {
    const harness = processesOf(context);
    const dataDir = await harness.dataDir();
    const tenure = harness.spawn({ dataDir, args, env });

    expect(await tenure.waitForExit()).toEqual({ code: 1, signal: null });
    expect(tenure.stderr).toBe(`${line}\n`);
    expect(tenure.stdout).toBe('');
    // It stopped before touching the database.
    expect(await postmasterPid(tenure.clusterDir)).toBeUndefined();
    expect(await processesMentioning(dataDir)).toEqual([]);
  });

  it('stops start-up with a clear error when an applied migration was edited, leaving no PostgreSQL running', slow, async (context) => {
    const harness = processesOf(context);
    const first = await start(harness);
    await withEmbedded(first, (client) =>
      client.query("UPDATE schema_migration SET checksum = 'edited' WHERE name = '0001_platform_foundation.sql'"),
    );
    await expectCleanStop(first.process, 'SIGTERM');

    const second = harness.spawn({ dataDir: first.process.dataDir, env: { EMBEDDED_POSTGRES_PORT: String(first.takenPort) } });
    expect(await second.waitForExit(), second.output()).toEqual({ code: 1, signal: null });
    const fatal = second.logs.find((line) => line.level === 'fatal');
    expect(fatal?.msg).toMatch(/^start-up failed: Applied migration 0001_platform_foundation\.sql has been edited since it was applied/);
    expect(second.hasLog(/^Tenure is listening/)).toBe(false);
    await expectNothingLeft(second);
  });

  it.for([
    { args: ['--role', 'api'], role: 'api', checks: ['database', 'jobs'] },
    { args: ['--role=worker'], role: 'worker', checks: ['database', 'jobs', 'event relay'] },
  ])('$args runs the $role role', slow, async ({ args, role, checks }, context) => {
    const { process: tenure, url } = await start(processesOf(context), { args });
    expect(tenure.logs.find((line) => matchesMessage(line, /^Tenure is listening on/))?.role).toBe(role);
    expect(await getJson(`${url}/health/live`)).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await readinessChecks(url)).toEqual(checks);
    await expectCleanStop(tenure, 'SIGTERM');
    await expectNothingLeft(tenure);
  });

  it('stops a PostgreSQL left running by a killed process, then starts and stops cleanly', slow, async (context) => {
    const harness = processesOf(context);
    const first = await start(harness);
    const orphanPid = await postmasterPid(first.process.clusterDir);
    first.process.child.kill('SIGKILL');
    expect(await first.process.waitForExit()).toEqual({ code: null, signal: 'SIGKILL' });
    // The killed process could not stop its PostgreSQL.
    expect((await processesMentioning(first.process.clusterDir)).length).toBeGreaterThan(0);

    const second = await start(harness, { dataDir: first.process.dataDir });
    expect(second.process.hasLog('stopping an embedded PostgreSQL left running by an earlier process')).toBe(true);
    expect(await postmasterPid(second.process.clusterDir)).not.toBe(orphanPid);
    expect(await readinessChecks(second.url)).toEqual(['database', 'jobs', 'event relay']);

    await expectCleanStop(second.process, 'SIGTERM');
    await expectNothingLeft(second.process);
  });
});

describe.concurrent('npm run db:migrate', () => {
  it('applies the migrations to the embedded PostgreSQL, then reports the database up to date', slow, async (context) => {
    const harness = processesOf(context);
    const dataDir = await harness.dataDir();
    const env = { EMBEDDED_POSTGRES_PORT: String(await harness.occupiedPort()) };
    const migrations = (await readMigrations()).map((file) => file.name);

    const first = harness.spawn({ script: 'scripts/db-migrate.ts', dataDir, env });
    expect(await first.waitForExit(), first.output()).toEqual({ code: 0, signal: null });
    for (const name of migrations) expect(first.stdout).toContain(`applied ${name}\n`);
    expect(first.stderr).toBe('');
    await expectNothingLeft(first);

    const second = harness.spawn({ script: 'scripts/db-migrate.ts', dataDir, env });
    expect(await second.waitForExit(), second.output()).toEqual({ code: 0, signal: null });
    expect(second.stdout).toContain('database is up to date\n');
    expect(second.stdout).not.toContain('applied ');
    await expectNothingLeft(second);
  });

  it('fails with one line and exit code 1 when the database cannot be reached', slow, async (context) => {
    const harness = processesOf(context);
    const dataDir = await harness.dataDir();
    const closedPort = await harness.closedPort();
    const tenure = harness.spawn({
      script: 'scripts/db-migrate.ts',
      dataDir,
      env: { DATABASE_URL: `postgres://tenure:hunter2@127.0.0.1:${closedPort}/tenure` },
    });

    expect(await tenure.waitForExit()).toEqual({ code: 1, signal: null });
    expect(tenure.stderr).toBe(`db:migrate failed: connect ECONNREFUSED 127.0.0.1:${closedPort}\n`);
  });
});
