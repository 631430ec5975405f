import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { maxPageSize } from '../http/pagination.ts';
import type { App } from '../http/server.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import { AuditAction, AuditEntry } from './audit-log.ts';
import { type ArchivedMonth, archivedMonths, auditColumns, auditErrors, readArchivedMonth, toAuditEntry } from './archive.ts';

export interface AuditFilter {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  entityType?: string;
  entityId?: string;
  actorUserId?: string;
  action?: string;
  orgId?: string;
}

/** The position after which the next page starts (newest first): the last entry's time and id. */
export interface AuditCursor {
  occurredAt: string;
  id: string;
}

export interface AuditPage {
  data: AuditEntry[];
  nextCursor: string | null;
}

const CursorShape = z.tuple([z.iso.datetime(), z.uuid()]);

export function encodeCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt, cursor.id])).toString('base64url');
}

export function decodeCursor(text: string): AuditCursor {
  try {
    const [occurredAt, id] = CursorShape.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return { occurredAt: new Date(occurredAt).toISOString(), id: id.toLowerCase() };
  } catch {
    throw auditErrors.raise('cursor_invalid', 'Pass back the nextCursor of a previous page unchanged');
  }
}

/** Newest first: by time, then by id (PostgreSQL orders uuids as their lowercase text sorts). */
const newestFirst = (a: AuditEntry, b: AuditEntry) =>
  a.occurredAt === b.occurredAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.occurredAt < b.occurredAt ? 1 : -1;

function matches(entry: AuditEntry, filter: AuditFilter, cursor: AuditCursor | undefined): boolean {
  const at = entry.occurredAt;
  return (
    (filter.from === undefined || at >= filter.from.toISOString()) &&
    (filter.to === undefined || at < filter.to.toISOString()) &&
    (filter.entityType === undefined || entry.entityType === filter.entityType) &&
    (filter.entityId === undefined || entry.entityId === filter.entityId) &&
    (filter.actorUserId === undefined || entry.actor.userId === filter.actorUserId) &&
    (filter.action === undefined || entry.action === filter.action) &&
    (filter.orgId === undefined || entry.orgId === filter.orgId) &&
    (cursor === undefined || at < cursor.occurredAt || (at === cursor.occurredAt && entry.id < cursor.id))
  );
}

async function hotEntries(db: Database, filter: AuditFilter, cursor: AuditCursor | undefined, limit: number): Promise<AuditEntry[]> {
  const conditions = [sql`true`];
  if (filter.from) conditions.push(sql`occurred_at >= ${filter.from}`);
  if (filter.to) conditions.push(sql`occurred_at < ${filter.to}`);
  if (filter.entityType !== undefined) conditions.push(sql`entity_type = ${filter.entityType}`);
  if (filter.entityId !== undefined) conditions.push(sql`entity_id = ${filter.entityId}`);
  if (filter.actorUserId !== undefined) conditions.push(sql`actor_user_id = ${filter.actorUserId}::uuid`);
  if (filter.action !== undefined) conditions.push(sql`action = ${filter.action}`);
  if (filter.orgId !== undefined) conditions.push(sql`org_id = ${filter.orgId}::uuid`);
  if (cursor) conditions.push(sql`(occurred_at, id) < (${cursor.occurredAt}::timestamptz, ${cursor.id}::uuid)`);
  const { rows } = await sql<Parameters<typeof toAuditEntry>[0]>`
    SELECT ${auditColumns} FROM audit_log WHERE ${sql.join(conditions, sql` AND `)}
    ORDER BY occurred_at DESC, id DESC LIMIT ${limit}
  `.execute(db);
  return rows.map(toAuditEntry);
}

const monthEnd = (month: string) => {
  const [year = 0, monthNumber = 1] = month.split('-').map(Number);
  return new Date(Date.UTC(year, monthNumber, 1)).toISOString();
};

/**
 * One page of audit entries, newest first, from the partitions and from archived months alike:
 * an archived month the range (and cursor) reaches is read from object storage, checked against
 * its checksum, filtered and merged, so a caller cannot tell where an entry lives.
 */
export async function queryAuditLog(
  deps: { db: Database; storage: ObjectStorage },
  filter: AuditFilter,
  options: { cursor?: string; limit: number },
): Promise<AuditPage> {
  const cursor = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  const wanted = options.limit + 1;
  // A month is archived and its partition dropped in one transaction; should that commit between
  // reading the list of archived months and the hot rows, read again, so no month is missed.
  for (;;) {
    const archivedBefore = await archivedMonths(deps.db);
    const hot = await hotEntries(deps.db, filter, cursor, wanted);
    const archived = await archivedMonths(deps.db);
    if (archived.length !== archivedBefore.length) continue;
    const candidates = [...hot];
    const reachable = archived
      .filter((month) => filter.from === undefined || monthEnd(month.month) > filter.from.toISOString())
      .filter((month) => filter.to === undefined || `${month.month}T00:00:00.000Z` < filter.to.toISOString())
      .filter((month) => cursor === undefined || `${month.month}T00:00:00.000Z` <= cursor.occurredAt)
      .sort((a, b) => (a.month < b.month ? 1 : -1));
    for (const month of reachable) {
      candidates.sort(newestFirst);
      // Enough entries newer than anything in this month (or older ones): the page is complete.
      const boundary = candidates[wanted - 1];
      if (boundary && boundary.occurredAt >= monthEnd(month.month)) break;
      candidates.push(...(await readMonth(deps.storage, month)).filter((entry) => matches(entry, filter, cursor)));
    }
    const page = candidates.sort(newestFirst).slice(0, wanted);
    const data = page.slice(0, options.limit);
    const last = data.at(-1);
    return { data, nextCursor: page.length > options.limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null };
  }
}

function readMonth(storage: ObjectStorage, month: ArchivedMonth): Promise<AuditEntry[]> {
  return readArchivedMonth(storage, month);
}

const AuditPageSchema = z.object({ data: z.array(AuditEntry), nextCursor: z.string().nullable() });

const instant = z.iso.datetime({ offset: true }).transform((value) => new Date(value));

const RangeQuery = z.object({
  from: instant.optional(),
  to: instant.optional(),
  actorUserId: z.uuid().optional(),
  action: AuditAction.optional(),
  cursor: z.string().min(1).max(500).optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .default(50)
    .transform((limit) => Math.min(limit, maxPageSize)),
});

const AuditLogQuery = RangeQuery.extend({
  entityType: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/)
    .optional(),
  entityId: z.string().min(1).max(200).optional(),
  orgId: z.uuid().optional(),
});

export interface AuditRouteOptions {
  /** Who may read: a preHandler-style check, like the operator guard of the event admin routes. */
  guard: (request: FastifyRequest) => Promise<void>;
  /** The organization a caller's reads are limited to; null reads every organization's entries. */
  orgScope?: (request: FastifyRequest) => string | null;
}

interface AuditReader extends AuditRouteOptions {
  db: Database;
  storage: ObjectStorage;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** What `registerEntityAuditRoute` reads with; set by `registerAuditRoutes`. */
    auditReader: AuditReader | undefined;
  }
}

/** Applies the caller's organization scope; a filter on another organization finds nothing. */
function scoped(request: FastifyRequest, reader: AuditRouteOptions, filter: AuditFilter): AuditFilter | undefined {
  const scope = reader.orgScope?.(request) ?? null;
  if (scope === null) return filter;
  if (filter.orgId !== undefined && filter.orgId !== scope) return undefined;
  return { ...filter, orgId: scope };
}

function withNextLink(request: FastifyRequest, reply: { header(name: string, value: string): unknown }, page: AuditPage): AuditPage {
  if (page.nextCursor !== null) {
    const [path = '/', search = ''] = request.url.split('?');
    const params = new URLSearchParams(search);
    params.set('cursor', page.nextCursor);
    reply.header('link', `<${path}?${params.toString()}>; rel="next"`);
  }
  return page;
}

/**
 * `GET /v1/audit-logs`: every entry, newest first, filtered by time range, object, actor, action
 * and organization, with cursor pagination (`nextCursor` and a `Link: rel="next"` header).
 */
export function registerAuditRoutes(app: App, options: AuditRouteOptions & { db: Database; storage: ObjectStorage }): void {
  const reader: AuditReader = { ...options };
  app.decorate('auditReader', reader);
  app.get(
    '/v1/audit-logs',
    {
      onRequest: options.guard,
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first, from hot storage and archived months alike',
        querystring: AuditLogQuery,
        response: { 200: AuditPageSchema },
      },
    },
    async (request, reply) => {
      const { cursor, limit, ...filter } = request.query;
      const effective = scoped(request, reader, filter);
      if (!effective) return { data: [], nextCursor: null };
      return withNextLink(request, reply, await queryAuditLog(reader, effective, { cursor, limit }));
    },
  );
}

/**
 * `GET <path>` (such as `/v1/bookings/:id/audit`): the history of one object, newest first. The
 * path's one parameter, whatever its name (`:id`, `:propertyId`), is the entity's id. Modules
 * call this for their objects after the platform registered its audit routes; `guard` and
 * `orgScope` default to those of `GET /v1/audit-logs`.
 */
export function registerEntityAuditRoute(app: App, options: { path: string; entityType: string } & Partial<AuditRouteOptions>): void {
  const base = app.auditReader;
  if (!base) throw new Error('registerEntityAuditRoute needs registerAuditRoutes to have run first');
  const reader: AuditReader = { ...base, ...(options.guard ? { guard: options.guard } : {}), orgScope: options.orgScope ?? base.orgScope };
  const parameter = /:([A-Za-z]+)/.exec(options.path)?.[1] ?? 'id';
  app.get(
    options.path,
    {
      onRequest: reader.guard,
      schema: {
        tags: ['audit'],
        summary: `The audit history of one ${options.entityType}, newest first`,
        params: z.object({ [parameter]: z.string().min(1).max(200) }),
        querystring: RangeQuery,
        response: { 200: AuditPageSchema },
      },
    },
    async (request, reply) => {
      const { cursor, limit, ...filter } = request.query;
      const effective = scoped(request, reader, { ...filter, entityType: options.entityType, entityId: request.params[parameter]! });
      if (!effective) return { data: [], nextCursor: null };
      return withNextLink(request, reply, await queryAuditLog(reader, effective, { cursor, limit }));
    },
  );
}
