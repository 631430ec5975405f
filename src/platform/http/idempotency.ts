import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { sql } from 'kysely';
import type { Queryable, Tx } from '../db/database.ts';
import { defineErrors } from './errors.ts';

/**
 * `Idempotency-Key` on every POST, after the IETF draft and Stripe's behaviour: the same key and
 * request replay the stored response; the same key with another request is refused; a key whose
 * first request is still running is refused until it ends. The stored response is written in the
 * transaction of the effect (see `request-transaction.ts`), so one never exists without the other.
 */
export const idempotencyErrors = defineErrors('idempotency', {
  key_invalid: { status: 400, title: 'The Idempotency-Key header is not valid' },
  key_reused: { status: 422, title: 'This idempotency key was used for a different request' },
  in_progress: { status: 409, title: 'A request with this idempotency key is still in progress' },
});

export const idempotencyHeader = 'idempotency-key';
export const replayedHeader = 'idempotent-replayed';

export interface IdempotentRequest {
  scope: string;
  key: string;
  fingerprint: string;
}

export interface StoredResponse {
  status: number;
  contentType: string | null;
  body: string;
}

/** Thrown when a stored response turns up only once the key is claimed; the error handler sends it as the reply. */
export class StoredReplay extends Error {
  constructor(readonly response: StoredResponse) {
    super('replay of a stored idempotent response');
  }
}

export function replay(reply: FastifyReply, stored: StoredResponse): FastifyReply {
  reply.header(replayedHeader, 'true').code(stored.status);
  if (stored.contentType) reply.type(stored.contentType);
  return reply.send(stored.body);
}

const keyPattern = /^[\x21-\x7e]{1,255}$/;

/** Reads the header: printable ASCII without spaces, 1 to 255 characters. Structured-field quotes are accepted. */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw idempotencyErrors.raise('key_invalid', 'Send one Idempotency-Key header, not several');
  const key = /^"(.*)"$/.exec(header)?.[1] ?? header;
  if (!keyPattern.test(key)) {
    throw idempotencyErrors.raise('key_invalid', 'An idempotency key is 1 to 255 printable ASCII characters without spaces');
  }
  return key;
}

/** Method, path with query, and a hash of the body with its keys sorted, so key order does not matter. */
export function fingerprint(method: string, url: string, body: unknown): string {
  const bodyHash = createHash('sha256').update(canonicalJson(body)).digest('hex');
  return createHash('sha256').update(`${method} ${url}\n${bodyHash}`).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === undefined) return '';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
}

/** The stored response for this key, if one was committed and has not expired; a different request is refused. */
export async function findStoredResponse(db: Queryable, request: IdempotentRequest): Promise<StoredResponse | undefined> {
  const row = await db
    .selectFrom('idempotencyKey')
    .select(['requestFingerprint', 'responseStatus', 'responseContentType', 'responseBody'])
    .where('scope', '=', request.scope)
    .where('key', '=', request.key)
    .where('expiresAt', '>', sql<Date>`now()`)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.requestFingerprint !== request.fingerprint) {
    throw idempotencyErrors.raise(
      'key_reused',
      'This key was first used with another method, path or body; use a new key for a new request',
    );
  }
  return { status: row.responseStatus, contentType: row.responseContentType, body: row.responseBody };
}

/**
 * Takes the key for the rest of the transaction. A second request holding the same key at the same
 * moment fails to take it and is told the first is in progress, rather than waiting on it.
 */
export async function claimKey(tx: Tx, request: IdempotentRequest): Promise<void> {
  const { rows } = await sql<{ claimed: boolean }>`
    SELECT pg_try_advisory_xact_lock(hashtextextended(${request.scope} || chr(10) || ${request.key}, 0)) AS claimed
  `.execute(tx);
  if (!rows[0]?.claimed) {
    throw idempotencyErrors.raise('in_progress', 'Retry once the first request has finished', { headers: { 'retry-after': '1' } });
  }
}

export async function storeResponse(db: Queryable, request: IdempotentRequest, response: StoredResponse, ttlHours: number): Promise<void> {
  await db
    .insertInto('idempotencyKey')
    .values({
      scope: request.scope,
      key: request.key,
      requestFingerprint: request.fingerprint,
      responseStatus: response.status,
      responseContentType: response.contentType,
      responseBody: response.body,
      expiresAt: sql<Date>`now() + make_interval(hours => ${ttlHours})`,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['scope', 'key'])
        .doUpdateSet({
          requestFingerprint: (eb) => eb.ref('excluded.requestFingerprint'),
          responseStatus: (eb) => eb.ref('excluded.responseStatus'),
          responseContentType: (eb) => eb.ref('excluded.responseContentType'),
          responseBody: (eb) => eb.ref('excluded.responseBody'),
          createdAt: sql<Date>`now()`,
          expiresAt: (eb) => eb.ref('excluded.expiresAt'),
        })
        .where('idempotencyKey.expiresAt', '<=', sql<Date>`now()`),
    )
    .execute();
}

/** Forgets keys past their time to live; run by a job. */
export async function purgeExpiredKeys(db: Queryable): Promise<number> {
  const result = await db
    .deleteFrom('idempotencyKey')
    .where('expiresAt', '<=', sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
