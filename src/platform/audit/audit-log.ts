import { isIP } from 'node:net';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Queryable, Tx } from '../db/database.ts';
import { uuidv7 } from '../ids.ts';

/**
 * What was done, in one list for every module: the hotel seed's event types plus those the other
 * capabilities (marketplace, leases, payments, work orders) need. Add new actions here.
 */
export const AuditAction = z.enum([
  // authentication and access
  'LOGIN',
  'LOGIN_FAILED',
  'LOGOUT',
  'PASSWORD_CHANGE',
  'PASSWORD_RESET',
  'PERMISSION_CHANGE',
  'SESSION_REVOKE',
  // any object
  'CREATE',
  'UPDATE',
  'DELETE',
  'STATUS_CHANGE',
  // bookings and stays
  'HOLD',
  'CONFIRM',
  'CANCEL',
  'CHECK_IN',
  'CHECK_OUT',
  'NO_SHOW',
  // units
  'RATE_UPDATE',
  'MAINTENANCE',
  'HOUSEKEEPING',
  // customers
  'MERGE',
  'BLACKLIST',
  'KYC_DECISION',
  // money
  'PAYMENT',
  'REFUND',
  'VOID',
  'PAYOUT',
  'DISBURSE',
  'LEDGER_REVERSAL',
  // contracts, moderation and work
  'SIGN',
  'ACTIVATE',
  'TERMINATE',
  'APPROVE',
  'REJECT',
  'ASSIGN',
  'ESCALATE',
  // channel sync
  'BEDS24_PUSH',
  'BEDS24_PULL',
  'CONFLICT_RESOLVED',
  'SYNC_ERROR',
  // data handling
  'EXPORT',
  'ARCHIVE',
]);
export type AuditAction = z.infer<typeof AuditAction>;

export const actorTypes = ['user', 'system', 'service', 'anonymous'] as const;

const JsonObject = z.record(z.string(), z.unknown());

/** One audit entry as a use case records it. */
export const AuditEntryInput = z.object({
  actor: z.object({
    type: z.enum(actorTypes),
    /** The user's id for `user` actors; null otherwise. */
    userId: z.uuid().nullable(),
    role: z.string().min(1).nullable().default(null),
  }),
  orgId: z.uuid().nullable(),
  action: AuditAction,
  entityType: z.string().regex(/^[a-z][a-z0-9_]*$/),
  entityId: z.string().min(1).max(200),
  before: JsonObject.nullable().default(null),
  after: JsonObject.nullable().default(null),
  ip: z
    .string()
    .refine((value) => isIP(value) !== 0, 'must be an IP address')
    .nullable()
    .default(null),
  userAgent: z.string().max(1000).nullable().default(null),
  correlationId: z.string().min(1),
  /** When it happened; the transaction's time (to the millisecond) unless given, as for imports. */
  occurredAt: z.date().optional(),
});
export type AuditEntryInput = z.input<typeof AuditEntryInput>;

/** A change of one top-level key. */
export interface Change {
  from: unknown;
  to: unknown;
}

/** One recorded entry, as the API returns it and the archive stores it (one JSON line each). */
export const AuditEntry = z.object({
  id: z.uuid(),
  occurredAt: z.iso.datetime(),
  orgId: z.uuid().nullable(),
  actor: z.object({ type: z.enum(actorTypes), userId: z.uuid().nullable(), role: z.string().nullable() }),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string(),
  before: JsonObject.nullable(),
  after: JsonObject.nullable(),
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })).nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  correlationId: z.string(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const redacted = '[REDACTED]';

/** Keys whose values never reach the audit log: password hashes, tokens, secrets, keys. */
const secretKeyPattern = /pass(word|wd|phrase)|secret|token|hash|api_?key|private_?key|credential|^pin$|cvv|otp/i;

export function isSecretKey(key: string): boolean {
  return secretKeyPattern.test(key);
}

/** A copy with the value of every secret-looking key, at any depth, replaced by `[REDACTED]`. */
export function redactSecrets<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => redactSecrets(item)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, isSecretKey(key) ? redacted : redactSecrets(item)]),
  ) as T;
}

/** JSON with object keys sorted, so equal values compare equal whatever their key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

/**
 * The top-level keys whose value differs between before and after (an absent key counts as null);
 * unchanged keys are left out. Secret keys show that they changed, never their values. Null when
 * there is nothing to compare (a creation or deletion) or nothing changed.
 */
export function diffStates(before: Record<string, unknown> | null, after: Record<string, unknown> | null): Record<string, Change> | null {
  if (before === null || after === null) return null;
  const changes: Record<string, Change> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (canonical(from) === canonical(to)) continue;
    changes[key] = isSecretKey(key) ? { from: redacted, to: redacted } : { from: redactSecrets(from), to: redactSecrets(to) };
  }
  return Object.keys(changes).length === 0 ? null : changes;
}

/** PostgreSQL's error for a row whose partition does not exist (check_violation). */
function isMissingPartition(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === '23514' && typeof message === 'string' && message.includes('no partition of relation "audit_log"');
}

/** The partition of the month that holds `day`, created when missing; returns its name. */
export async function ensureAuditPartition(db: Queryable, day: Date | string): Promise<string> {
  const month = typeof day === 'string' ? day : day.toISOString().slice(0, 10);
  const { rows } = await sql<{ name: string }>`SELECT audit_log_ensure_partition(${month}::date) AS name`.execute(db);
  return rows[0]?.name ?? '';
}

/** This month's partition and the next `ahead` months' (UTC). */
export async function ensureAuditPartitions(db: Queryable, now = new Date(), ahead = 2): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; offset <= ahead; offset++) {
    names.push(await ensureAuditPartition(db, new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1))));
  }
  return names;
}

/**
 * Records one audit entry in the use case's own transaction, so the entry commits with the change it
 * describes or not at all. Secrets are redacted from before and after, and the difference is stored.
 *
 * Partitions: start-up and a daily job keep this month's and the next two months' partitions
 * (`ensureAuditPartitions`), so an insert normally finds its partition. Should one be missing
 * anyway (jobs stopped for months, a back-dated import), the insert runs behind a savepoint and, on
 * PostgreSQL's "no partition" error, creates the partition and inserts again: rare, and it keeps a
 * missing partition from ever failing a use case.
 */
export async function recordAudit(tx: Tx, input: AuditEntryInput): Promise<AuditEntry> {
  const entry = AuditEntryInput.parse(input);
  const before = entry.before === null ? null : redactSecrets(entry.before);
  const after = entry.after === null ? null : redactSecrets(entry.after);
  const changes = diffStates(entry.before, entry.after);
  const occurredAt = entry.occurredAt ?? null;
  const id = uuidv7(occurredAt?.getTime());
  const json = (value: unknown) => (value === null ? null : JSON.stringify(value));
  const insert = () =>
    sql<{ occurredAt: Date }>`
      INSERT INTO audit_log (id, occurred_at, org_id, actor_type, actor_user_id, actor_role, action, entity_type, entity_id,
                             before, after, changes, ip, user_agent, correlation_id)
      VALUES (${id}, ${occurredAt === null ? sql`date_trunc('milliseconds', now())` : sql`date_trunc('milliseconds', ${occurredAt}::timestamptz)`},
              ${entry.orgId}, ${entry.actor.type}, ${entry.actor.userId}, ${entry.actor.role}, ${entry.action}, ${entry.entityType},
              ${entry.entityId}, ${json(before)}::jsonb, ${json(after)}::jsonb, ${json(changes)}::jsonb, ${entry.ip}::inet,
              ${entry.userAgent}, ${entry.correlationId})
      RETURNING occurred_at
    `.execute(tx);

  await sql`SAVEPOINT tenure_audit_insert`.execute(tx);
  let result;
  try {
    result = await insert();
  } catch (error) {
    if (!isMissingPartition(error)) throw error;
    await sql`ROLLBACK TO SAVEPOINT tenure_audit_insert`.execute(tx);
    await ensureAuditPartition(tx, occurredAt ?? (await transactionTime(tx)));
    result = await insert();
  }
  await sql`RELEASE SAVEPOINT tenure_audit_insert`.execute(tx);
  const recordedAt = result.rows[0]?.occurredAt ?? new Date();
  return {
    id,
    occurredAt: recordedAt.toISOString(),
    orgId: entry.orgId,
    actor: { type: entry.actor.type, userId: entry.actor.userId, role: entry.actor.role },
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    before,
    after,
    changes,
    ip: entry.ip,
    userAgent: entry.userAgent,
    correlationId: entry.correlationId,
  };
}

async function transactionTime(tx: Tx): Promise<Date> {
  const { rows } = await sql<{ now: Date }>`SELECT now() AS now`.execute(tx);
  return rows[0]?.now ?? new Date();
}
