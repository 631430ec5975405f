import type { ControlledTransaction } from 'kysely';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Tx } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { withTenant } from '../db/tenant.ts';
import {
  claimKey,
  findStoredResponse,
  fingerprint,
  idempotencyHeader,
  type IdempotentRequest,
  parseIdempotencyKey,
  replay,
  replayedHeader,
  StoredReplay,
  type StoredResponse,
  storeResponse,
} from './idempotency.ts';
import { toProblem } from './errors.ts';
import { problemContentType, toAppError } from './problems.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Runs the request's one use case in one transaction. The transaction stays open until the
     * reply is serialized, so the stored idempotent response commits together with the effect;
     * a reply of 400 or more rolls it back.
     */
    transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
    /**
     * Runs reads in a READ ONLY transaction of their own, committed at once. Like
     * `transaction`, it acts for the request's organization (`request.tenantId`): business tables
     * show that organization's rows only, and none to a request without one. Reads through `db`
     * directly name no organization and so see no business rows.
     */
    read<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
    idempotency: IdempotentRequest | undefined;
    openTransaction: ControlledTransaction<DB> | undefined;
  }
}

export interface RequestTransactionOptions {
  db: Database;
  idempotencyTtlHours: number;
  /** Who the caller is, for scoping idempotency keys: one caller's keys never collide with another's. */
  callerScope: (request: FastifyRequest) => string;
}

export function registerRequestTransactions(app: FastifyInstance, options: RequestTransactionOptions): void {
  const { db } = options;
  app.decorateRequest('idempotency', undefined);
  app.decorateRequest('openTransaction', undefined);
  app.decorateRequest('read', function <T>(this: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T> {
    return db
      .transaction()
      .setAccessMode('read only')
      .execute(async (tx) => {
        await withTenant(tx, this.tenantId);
        return work(tx);
      });
  });
  app.decorateRequest('transaction', async function <T>(this: FastifyRequest, work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.openTransaction) throw new Error('A request runs one use case in one transaction');
    const tx = await db.startTransaction().execute();
    try {
      // The caller's organization for row-level security; set even when none, so nothing left on
      // the connection could carry over.
      await withTenant(tx, this.tenantId);
      if (this.idempotency) {
        await claimKey(tx, this.idempotency);
        const stored = await findStoredResponse(tx, this.idempotency);
        if (stored) throw new StoredReplay(stored);
      }
      const result = await work(tx);
      this.openTransaction = tx;
      return result;
    } catch (error) {
      await tx.rollback().execute();
      throw error;
    }
  });

  app.addHook('preHandler', async (request, reply) => {
    if (request.method !== 'POST') return;
    const key = parseIdempotencyKey(request.headers[idempotencyHeader]);
    if (key === undefined) return;
    request.idempotency = { scope: options.callerScope(request), key, fingerprint: fingerprint(request.method, request.url, request.body) };
    const stored = await findStoredResponse(db, request.idempotency);
    if (stored) return replay(reply, stored);
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const tx = request.openTransaction;
    request.openTransaction = undefined;
    const succeeded = reply.statusCode < 400;
    const response = storable(reply, payload);
    if (!tx) {
      // A POST that wrote nothing still replays its first answer.
      if (succeeded && request.idempotency && response && reply.getHeader(replayedHeader) === undefined) {
        await storeResponse(db, request.idempotency, response, options.idempotencyTtlHours);
      }
      return payload;
    }
    if (!succeeded) {
      await tx.rollback().execute();
      return payload;
    }
    try {
      if (request.idempotency && response) await storeResponse(tx, request.idempotency, response, options.idempotencyTtlHours);
      await tx.commit().execute();
      return payload;
    } catch (error) {
      await tx
        .rollback()
        .execute()
        .catch(() => undefined);
      // The effect did not happen: the reply must not say it did.
      const appError = toAppError(error, request);
      reply.code(appError.status).type(problemContentType);
      for (const [name, value] of Object.entries(appError.extra.headers ?? {})) reply.header(name, value);
      return JSON.stringify(toProblem(appError, request.url, request.id));
    }
  });

  const releaseUnsent = async (request: FastifyRequest) => {
    const tx = request.openTransaction;
    request.openTransaction = undefined;
    if (tx) await tx.rollback().execute();
  };
  app.addHook('onResponse', releaseUnsent);
  app.addHook('onRequestAbort', releaseUnsent);
}

function storable(reply: FastifyReply, payload: unknown): StoredResponse | undefined {
  const body =
    typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : payload == null ? '' : undefined;
  if (body === undefined) return undefined;
  const contentType = reply.getHeader('content-type');
  return { status: reply.statusCode, contentType: typeof contentType === 'string' ? contentType : null, body };
}
