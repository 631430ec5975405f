import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { platformJobs } from '../jobs/platform-jobs.ts';
import type { TenureModule } from '../module.ts';
import { localStorage } from '../storage/local-storage.ts';
import { type AuditEntry, type AuditEntryInput, ensureAuditPartition, recordAudit } from './audit-log.ts';
import { type AuditArchiveManifest, archiveAuditLog } from './archive.ts';
import { registerEntityAuditRoute } from './routes.ts';

const token = 'o'.repeat(40);
const alice = '0190a5f0-0000-7000-8000-00000000a11c';
const orgA = '0190a5f0-0000-7000-8000-00000000000a';

const bookingsModule: TenureModule = {
  name: 'bookings-audit',
  routes(app) {
    registerEntityAuditRoute(app, { path: '/v1/bookings/:id/audit', entityType: 'booking' });
  },
};

let t: TestApp;
let storageDir: string;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  storageDir = await mkdtemp(path.join(tmpdir(), 'tenure-audit-archive-'));
  t = await buildTestApp({ modules: [bookingsModule], config: { OPERATOR_TOKEN: token, STORAGE_DIR: storageDir, AUDIT_HOT_DAYS: '90' } });
});
afterAll(async () => {
  await t.close();
  await rm(storageDir, { recursive: true, force: true });
});

function entry(overrides: Partial<AuditEntryInput>): AuditEntryInput {
  return {
    actor: { type: 'user', userId: alice, role: 'manager' },
    orgId: orgA,
    action: 'UPDATE',
    entityType: 'booking',
    entityId: 'bk-1',
    correlationId: 'archive-test',
    ...overrides,
  };
}

async function get(url: string) {
  const reply = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  return { reply, body: reply.json<{ data: AuditEntry[]; nextCursor: string | null; code?: string }>() };
}

async function allPages(url: string): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  let cursor: string | null = null;
  do {
    const { reply, body } = await get(`${url}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(reply.statusCode).toBe(200);
    entries.push(...body.data);
    cursor = body.nextCursor;
  } while (cursor !== null);
  return entries;
}

const partitionExists = async (name: string) =>
  (await sql<{ exists: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS exists`.execute(t.database.db)).rows[0]?.exists;

/** The archival job as the workers run it, on the app's storage folder. */
async function runArchiveJob(): Promise<void> {
  const job = platformJobs({ OUTBOX_RETENTION_DAYS: 7, AUDIT_HOT_DAYS: 90 }, localStorage(storageDir)).find(
    (definition) => definition.name === 'platform.audit.archive.v1',
  );
  if (!job) throw new Error('no archive job');
  await job.handle({}, { db: t.database.db, logger, config: t.config });
}

const march = '/v1/audit-logs?from=2020-03-01T00:00:00Z&to=2020-04-01T00:00:00Z';

describe('archiving months past the hot period', () => {
  let beforeArchival: AuditEntry[];
  let hotEntry: AuditEntry;

  beforeAll(async () => {
    await ensureAuditPartition(t.database.db, '2020-03-01');
    await t.database.db.transaction().execute(async (tx) => {
      for (let day = 1; day <= 7; day++) {
        const at = new Date(Date.UTC(2020, 2, day * 4, 10, 0, 0, day));
        await recordAudit(tx, entry({ entityId: day % 2 === 0 ? 'bk-1' : 'bk-2', occurredAt: at, after: { day } }));
      }
      // Two at one instant: the id orders them, in the archive as in the table.
      const same = new Date('2020-03-31T23:59:59.999Z');
      await recordAudit(tx, entry({ entityId: 'bk-1', occurredAt: same, action: 'CHECK_OUT', after: { day: 31 } }));
      await recordAudit(tx, entry({ entityId: 'bk-1', occurredAt: same, action: 'CANCEL', before: { secretToken: 'x' } }));
      hotEntry = await recordAudit(tx, entry({ entityId: 'bk-1', action: 'CHECK_IN' }));
    });
    beforeArchival = await allPages(`${march}&limit=200`);
  });

  it('writes the month as gzipped JSON Lines with a manifest, records it and drops its partition', async () => {
    expect(beforeArchival).toHaveLength(9);
    expect(await partitionExists('audit_log_2020_03')).toBe(true);
    await runArchiveJob();

    expect(await partitionExists('audit_log_2020_03')).toBe(false);
    const archive = await t.database.db.selectFrom('auditArchive').selectAll().execute();
    expect(archive).toEqual([
      expect.objectContaining({
        month: '2020-03-01',
        objectKey: 'audit/2020-03/audit-log.jsonl.gz',
        manifestKey: 'audit/2020-03/manifest.json',
        rowCount: 9,
      }),
    ]);
    const object = await readFile(path.join(storageDir, 'audit', '2020-03', 'audit-log.jsonl.gz'));
    const manifest = JSON.parse(await readFile(path.join(storageDir, 'audit', '2020-03', 'manifest.json'), 'utf8')) as AuditArchiveManifest;
    const checksum = createHash('sha256').update(object).digest('hex');
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      month: '2020-03',
      rowCount: 9,
      sha256: checksum,
      firstOccurredAt: '2020-03-04T10:00:00.001Z',
      lastOccurredAt: '2020-03-31T23:59:59.999Z',
    });
    expect(archive[0]?.sha256).toBe(checksum);
    const lines = gunzipSync(object).toString('utf8').trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as AuditEntry).id)).toEqual(beforeArchival.map((e) => e.id).reverse());
    // The hot month is untouched.
    const hot = await t.database.db.selectFrom('auditLog').select('id').where('id', '=', hotEntry.id).execute();
    expect(hot).toHaveLength(1);
  });

  it('still returns the archived entries, the same and in the same order, page by page', async () => {
    expect(await allPages(`${march}&limit=200`)).toEqual(beforeArchival);
    expect(await allPages(`${march}&limit=2`)).toEqual(beforeArchival);
    expect(await allPages(`${march}&limit=9`)).toEqual(beforeArchival);
    expect((await allPages(`${march}&limit=3&action=CHECK_OUT`)).map((e) => e.action)).toEqual(['CHECK_OUT']);
    // Without a range, hot and archived entries merge: newest first across both.
    const everything = await allPages('/v1/audit-logs?limit=4');
    expect(everything.map((e) => e.id)).toEqual([hotEntry.id, ...beforeArchival.map((e) => e.id)]);
  });

  it('serves an object history across hot and archived months', async () => {
    const history = await allPages('/v1/bookings/bk-1/audit?limit=2');
    expect(history.map((e) => e.id)).toEqual([hotEntry.id, ...beforeArchival.filter((e) => e.entityId === 'bk-1').map((e) => e.id)]);
    expect(history.find((e) => e.action === 'CANCEL')?.before).toEqual({ secretToken: '[REDACTED]' });
  });

  it('does nothing on a rerun, and never recreates an archived month', async () => {
    const object = path.join(storageDir, 'audit', '2020-03', 'audit-log.jsonl.gz');
    const before = await readFile(object);
    expect(await archiveAuditLog({ db: t.database.db, storage: localStorage(storageDir), hotDays: 90 })).toEqual([]);
    expect(await readFile(object)).toEqual(before);
    expect(await t.database.db.selectFrom('auditArchive').select('month').execute()).toHaveLength(1);
    await expect(ensureAuditPartition(t.database.db, '2020-03-15')).rejects.toThrow(/archived/);
  });

  it('finishes a month whose earlier run crashed after writing its files', async () => {
    await ensureAuditPartition(t.database.db, '2020-05-01');
    await t.database.db.transaction().execute(async (tx) => {
      for (const day of [3, 9]) await recordAudit(tx, entry({ entityId: 'bk-5', occurredAt: new Date(Date.UTC(2020, 4, day)) }));
    });
    // A crashed run left a stale object and manifest; nothing reads them, and the rerun replaces them.
    const storage = localStorage(storageDir);
    await storage.put('audit/2020-05/audit-log.jsonl.gz', gzipSync('{"partial":\n'));
    await storage.put('audit/2020-05/manifest.json', Buffer.from('{'));
    const archived = await archiveAuditLog({ db: t.database.db, storage, hotDays: 90 });
    expect(archived.map((month) => [month.month, month.rowCount])).toEqual([['2020-05-01', 2]]);
    expect((await allPages('/v1/bookings/bk-5/audit?limit=1')).map((e) => e.occurredAt)).toEqual([
      '2020-05-09T00:00:00.000Z',
      '2020-05-03T00:00:00.000Z',
    ]);
  });

  it('detects a tampered archive: 500 audit.archive_corrupt instead of wrong history', async () => {
    const object = path.join(storageDir, 'audit', '2020-03', 'audit-log.jsonl.gz');
    const original = await readFile(object);
    const lines = gunzipSync(original).toString('utf8').trimEnd().split('\n').slice(1);
    await writeFile(object, gzipSync(`${lines.join('\n')}\n`));
    const { reply, body } = await get(`${march}&limit=5`);
    expect(reply.statusCode).toBe(500);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({ code: 'audit.archive_corrupt' });
    // Ranges that do not reach the month are unaffected.
    expect((await get('/v1/audit-logs?from=2020-05-01T00:00:00Z')).reply.statusCode).toBe(200);
    await writeFile(object, original);
    expect((await get(`${march}&limit=5`)).reply.statusCode).toBe(200);
  });
});
