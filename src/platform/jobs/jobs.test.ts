import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import { createMetrics } from '../metrics.ts';
import { type JobDefinition, type Jobs, startJobs } from './jobs.ts';
import { platformJobs } from './platform-jobs.ts';
import { localStorage } from '../storage/local-storage.ts';

let database: TestDatabase;
const logger = pino({ level: 'silent' });
const handled: { payload: { room: string }; at: number }[] = [];

const cleanRoom: JobDefinition<{ room: string }> = {
  name: 'test.housekeeping.clean-room.v1',
  retryLimit: 2,
  async handle(payload, { db }) {
    if (payload.room === 'flaky' && handled.filter((h) => h.payload.room === 'flaky').length === 0) {
      handled.push({ payload, at: Date.now() });
      throw new Error('vacuum cleaner jammed');
    }
    handled.push({ payload, at: Date.now() });
    await sql`SELECT 1`.execute(db);
  },
};

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

async function start(runWorkers: boolean, definitions: JobDefinition[] = [cleanRoom]): Promise<Jobs> {
  return startJobs({ url: database.url, db: database.db, config: testConfig(), logger, metrics: createMetrics(), definitions, runWorkers });
}

describe('jobs', () => {
  it('runs a sent job on a worker, retrying a failure', async () => {
    const jobs = await start(true);
    try {
      await jobs.send(cleanRoom, { room: '101' });
      await jobs.send(cleanRoom, { room: 'flaky' });
      await waitFor(() => handled.some((h) => h.payload.room === '101'), { message: 'room 101 cleaned', timeoutMs: 15_000 });
      await waitFor(() => handled.filter((h) => h.payload.room === 'flaky').length === 2, { message: 'the retry', timeoutMs: 20_000 });
      expect(jobs.problem()).toBeUndefined();
    } finally {
      await jobs.stop();
    }
    expect(jobs.problem()).toBe('job workers are stopped');
  });

  it('lets an API-only process send jobs that only a worker runs', async () => {
    const api = await start(false);
    await api.send(cleanRoom, { room: '202' });
    const before = handled.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(handled.slice(before).some((h) => h.payload.room === '202')).toBe(false);
    const { rows } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM pgboss.job WHERE name = ${cleanRoom.name} AND data ->> 'room' = '202' AND state = 'created'
    `.execute(database.owner);
    expect(rows[0]?.count).toBe(1);
    const worker = await start(true);
    try {
      await waitFor(() => handled.some((h) => h.payload.room === '202'), { message: 'room 202 cleaned by the worker', timeoutMs: 15_000 });
    } finally {
      await worker.stop();
      await api.stop();
    }
  });

  it('keeps the cron schedules of recurring jobs on workers', async () => {
    const storageDir = await mkdtemp(path.join(tmpdir(), 'tenure-jobs-storage-'));
    const jobs = await start(true, platformJobs({ OUTBOX_RETENTION_DAYS: 7, AUDIT_HOT_DAYS: 90 }, localStorage(storageDir)));
    try {
      const { rows } = await sql<{
        name: string;
        cron: string;
        timezone: string;
      }>`SELECT name, cron, timezone FROM pgboss.schedule ORDER BY name`.execute(database.owner);
      expect(rows).toEqual([
        { name: 'platform.audit.archive.v1', cron: '23 2 * * *', timezone: 'UTC' },
        { name: 'platform.audit.partitions.v1', cron: '7 2 * * *', timezone: 'UTC' },
        { name: 'platform.events.purge.v1', cron: '41 3 * * *', timezone: 'UTC' },
        { name: 'platform.idempotency.purge.v1', cron: '17 * * * *', timezone: 'UTC' },
      ]);
    } finally {
      await jobs.stop();
    }
  });

  it('reports queue depth as a metric', async () => {
    const metrics = createMetrics();
    const api = await startJobs({
      url: database.url,
      db: database.db,
      config: testConfig(),
      logger,
      metrics,
      definitions: [cleanRoom],
      runWorkers: false,
    });
    try {
      await api.send(cleanRoom, { room: '303' });
      await api.send(cleanRoom, { room: '304' });
      const text = await metrics.metrics();
      expect(text).toMatch(/tenure_job_queue_depth\{queue="test\.housekeeping\.clean-room\.v1"\} [2-9]/);
    } finally {
      await api.stop();
    }
  });
});
