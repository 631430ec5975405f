import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createGzip, gunzipSync } from 'node:zlib';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database, Queryable } from '../db/database.ts';
import { defineErrors } from '../http/errors.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { AuditEntry } from './audit-log.ts';

export const auditErrors = defineErrors('audit', {
  cursor_invalid: { status: 400, title: 'The cursor is not one this API issued' },
  archive_corrupt: { status: 500, title: 'An archived audit month does not match its checksum' },
  archive_missing: { status: 500, title: 'An archived audit month is missing from object storage' },
});

export const archiveSchemaVersion = 1;

/** What `audit/<YYYY-MM>/manifest.json` holds. */
export interface AuditArchiveManifest {
  schemaVersion: number;
  month: string;
  format: 'jsonl+gzip';
  objectKey: string;
  rowCount: number;
  sha256: string;
  firstOccurredAt: string | null;
  lastOccurredAt: string | null;
  createdAt: string;
}

export interface ArchivedMonth {
  /** `YYYY-MM-01`. */
  month: string;
  objectKey: string;
  manifestKey: string;
  rowCount: number;
  sha256: string;
}

export const archiveKeysOf = (month: string) => {
  const label = month.slice(0, 7);
  return { objectKey: `audit/${label}/audit-log.jsonl.gz`, manifestKey: `audit/${label}/manifest.json` };
};

interface AuditRow {
  id: string;
  occurredAt: Date;
  orgId: string | null;
  actorType: string;
  actorUserId: string | null;
  actorRole: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  changes: unknown;
  ip: string | null;
  userAgent: string | null;
  correlationId: string;
}

/** A stored row in the shape the API returns and the archive keeps. */
export function toAuditEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    occurredAt: row.occurredAt.toISOString(),
    orgId: row.orgId,
    actor: { type: row.actorType as AuditEntry['actor']['type'], userId: row.actorUserId, role: row.actorRole },
    action: row.action,
    entityType: row.entityType,
    entityId: row.entityId,
    before: row.before as AuditEntry['before'],
    after: row.after as AuditEntry['after'],
    changes: row.changes as AuditEntry['changes'],
    ip: row.ip,
    userAgent: row.userAgent,
    correlationId: row.correlationId,
  };
}

export const auditColumns = sql`id, occurred_at, org_id, actor_type, actor_user_id, actor_role, action, entity_type, entity_id,
  before, after, changes, host(ip) AS ip, user_agent, correlation_id`;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The months (`YYYY-MM-01`) that still have a partition, oldest first. */
export async function auditPartitions(db: Queryable): Promise<{ name: string; month: string }[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'audit_log'::regclass ORDER BY c.relname
  `.execute(db);
  return rows.flatMap(({ name }) => {
    const match = /^audit_log_(\d{4})_(\d{2})$/.exec(name);
    return match ? [{ name, month: `${match[1]}-${match[2]}-01` }] : [];
  });
}

const nextMonth = (month: string) => {
  const [year = 0, monthNumber = 1] = month.split('-').map(Number);
  return new Date(Date.UTC(year, monthNumber, 1));
};

const batchSize = 1000;
const archiveLockId = 7_320_913_003;

export interface ArchiveOptions {
  db: Database;
  storage: ObjectStorage;
  /** Months whose partition ends at least this many days ago are archived. */
  hotDays: number;
  now?: Date;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/**
 * Moves every month whose partition lies wholly before now − hotDays into object storage:
 * the month's rows in order as gzipped JSON Lines, then a manifest with their count and the
 * object's sha256; both are read back and checked; then, in one transaction, the month is recorded
 * in `audit_archive` and its partition detached and dropped.
 *
 * Crash safety — a rerun after a crash at any step neither loses nor duplicates rows:
 * - Readers take a month from exactly one place: from its partition while it exists, from object
 *   storage once `audit_archive` names it. The row in `audit_archive` and the dropped partition
 *   commit in one transaction, so no moment shows a month in both places or in neither.
 * - Until that transaction commits, the partition keeps every row. A crash before it leaves at
 *   most objects that nothing reads yet; the rerun rewrites them from the partition under the
 *   same keys (each put lands whole or not at all), which also repairs a half-written pair.
 * - The transaction locks the audit log and recounts the partition; a row added to the month
 *   after it was streamed (a back-dated entry) makes the counts differ and the month is left for
 *   the next run instead of being dropped with a row the archive lacks.
 * - After it commits, the month is in `audit_archive` and has no partition, so a rerun skips it;
 *   `audit_log_ensure_partition` refuses to recreate an archived month.
 * One archiver runs at a time (a session advisory lock); a second returns at once.
 */
export async function archiveAuditLog(options: ArchiveOptions): Promise<ArchivedMonth[]> {
  const { db, storage } = options;
  const now = options.now ?? new Date();
  const cutoff = new Date(now.getTime() - options.hotDays * 86_400_000);
  return db.connection().execute(async (connection) => {
    const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_lock(${archiveLockId}) AS locked`.execute(connection);
    if (!rows[0]?.locked) {
      options.logger?.info('another audit archival is running');
      return [];
    }
    try {
      const archived: ArchivedMonth[] = [];
      for (const partition of await auditPartitions(connection)) {
        if (nextMonth(partition.month) > cutoff) continue;
        const month = await archiveMonth(connection, storage, partition);
        if (month) {
          archived.push(month);
          options.logger?.info({ month: month.month, rows: month.rowCount }, 'audit month archived');
        } else {
          options.logger?.warn({ month: partition.month }, 'audit month changed while it was archived; left for the next run');
        }
      }
      return archived;
    } finally {
      await sql`SELECT pg_advisory_unlock(${archiveLockId})`.execute(connection);
    }
  });
}

async function archiveMonth(db: Database, storage: ObjectStorage, partition: { name: string; month: string }) {
  const { objectKey, manifestKey } = archiveKeysOf(partition.month);
  const table = sql.table(partition.name);

  // 1. Stream the month's rows in order, a batch at a time, into gzipped JSON Lines.
  const gzip = createGzip();
  const chunks: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(gzip, 'end');
  let rowCount = 0;
  let first: string | null = null;
  let last: AuditRow | undefined;
  for (;;) {
    const after = last ? sql`WHERE (occurred_at, id) > (${last.occurredAt}::timestamptz, ${last.id}::uuid)` : sql``;
    const { rows } = await sql<AuditRow>`
      SELECT ${auditColumns} FROM ${table} ${after} ORDER BY occurred_at, id LIMIT ${batchSize}
    `.execute(db);
    if (rows.length === 0) break;
    gzip.write(rows.map((row) => `${JSON.stringify(toAuditEntry(row))}\n`).join(''));
    first ??= rows[0]?.occurredAt.toISOString() ?? null;
    last = rows.at(-1);
    rowCount += rows.length;
  }
  gzip.end();
  await ended;
  const body = Buffer.concat(chunks);
  const checksum = sha256(body);
  const manifest: AuditArchiveManifest = {
    schemaVersion: archiveSchemaVersion,
    month: partition.month.slice(0, 7),
    format: 'jsonl+gzip',
    objectKey,
    rowCount,
    sha256: checksum,
    firstOccurredAt: first,
    lastOccurredAt: last?.occurredAt.toISOString() ?? null,
    createdAt: new Date().toISOString(),
  };

  // 2. Write the object, then its manifest; 3. read both back and check them.
  await storage.put(objectKey, body, { contentType: 'application/gzip' });
  await storage.put(manifestKey, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`), { contentType: 'application/json' });
  const stored: ArchivedMonth = { month: partition.month, objectKey, manifestKey, rowCount, sha256: checksum };
  const entries = await readArchivedMonth(storage, stored);
  if (entries.length !== rowCount)
    throw new Error(`Archived audit month ${manifest.month} reads back ${entries.length} rows, not ${rowCount}`);

  // 4. Record the month and drop its partition together, if it still holds exactly these rows:
  // with the log locked, in one transaction, by a function that runs as the tables' owner (the
  // application role may neither lock the append-only log nor drop its partitions).
  const { rows } = await sql<{ archived: boolean }>`
    SELECT audit_log_archive_partition(${partition.month}::date, ${objectKey}, ${manifestKey}, ${rowCount}, ${checksum}) AS archived
  `.execute(db);
  return rows[0]?.archived ? stored : undefined;
}

/**
 * The entries of an archived month, oldest first, after checking the object against the checksum
 * recorded in the database and in its manifest; a mismatch is `audit.archive_corrupt`.
 */
export async function readArchivedMonth(storage: ObjectStorage, archived: ArchivedMonth): Promise<AuditEntry[]> {
  const label = archived.month.slice(0, 7);
  const [manifestBytes, body] = await Promise.all([storage.get(archived.manifestKey), storage.get(archived.objectKey)]);
  if (!manifestBytes || !body) throw auditErrors.raise('archive_missing', `The archive of audit month ${label} is missing from storage`);
  let manifest: AuditArchiveManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as AuditArchiveManifest;
  } catch {
    throw auditErrors.raise('archive_corrupt', `The manifest of audit month ${label} is not valid JSON`);
  }
  const actual = sha256(body);
  if (actual !== archived.sha256 || manifest.sha256 !== archived.sha256 || manifest.rowCount !== archived.rowCount) {
    throw auditErrors.raise('archive_corrupt', `The archive of audit month ${label} does not match its recorded checksum`);
  }
  const lines = gunzipSync(body).toString('utf8').split('\n').filter(Boolean);
  if (lines.length !== archived.rowCount) {
    throw auditErrors.raise('archive_corrupt', `The archive of audit month ${label} holds ${lines.length} rows, not ${archived.rowCount}`);
  }
  return lines.map((line) => JSON.parse(line) as AuditEntry);
}

/** The archived months, as recorded. */
export async function archivedMonths(db: Queryable): Promise<ArchivedMonth[]> {
  return db.selectFrom('auditArchive').select(['month', 'objectKey', 'manifestKey', 'rowCount', 'sha256']).orderBy('month').execute();
}
