/**
 * The HTTP server under load, in its own process (`node --import tsx bench/server.ts`) so that it
 * never shares an event loop with autocannon. BENCH_SERVER chooses what it serves:
 * - `bare`: Fastify 5 with one route, the framework's ceiling;
 * - `tenure`: Tenure's real application (`buildApp`) with no modules;
 * - `tenure-bench`: the same with the bench module's `POST /bench/things`;
 * - `tenure-modules`: the same with every business module, as `npm start` serves them; the parent
 *   may ask it to record the statements it sends PostgreSQL meanwhile (`capture-start`, `capture-stop`).
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import type pg from 'pg';
import { buildApp } from '../src/app.ts';
import { modules } from '../src/modules/index.ts';
import { ensureAuditPartitions } from '../src/platform/audit/audit-log.ts';
import { createLogger } from '../src/platform/logging.ts';
import { createMetrics, observePool } from '../src/platform/metrics.ts';
import { benchModule } from './bench-module.ts';
import { type CapturedQuery, childDatabase, onParentMessage, tellParent } from './child.ts';

interface Served {
  port: number;
  close: () => Promise<void>;
  capture?: (on: boolean) => void;
}

async function serve(): Promise<Served> {
  const kind = process.env.BENCH_SERVER;
  if (kind === 'bare') {
    const app = Fastify();
    app.get('/health/live', async () => ({ status: 'ok' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { port: portOf(app.server.address()), close: () => app.close() };
  }
  if (kind !== 'tenure' && kind !== 'tenure-bench' && kind !== 'tenure-modules')
    throw new Error(`BENCH_SERVER must be bare, tenure, tenure-bench or tenure-modules (got ${String(kind)})`);
  // The bench's single client would otherwise be refused after 600 requests a minute.
  const { config, pool, db } = childDatabase('tenure-bench-server', { RATE_LIMIT_MAX: '1000000' });
  const recorder = kind === 'tenure-modules' ? recordStatements(pool) : undefined;
  const metrics = createMetrics();
  observePool(metrics, pool);
  // As src/main.ts does at start-up: the audit log's partitions of this month and the next two.
  if (kind === 'tenure-modules') await ensureAuditPartitions(db);
  const app = await buildApp({
    config,
    db,
    logger: createLogger(config),
    metrics,
    // No route under load sends a job; a no-op keeps pg-boss's own connections out of the figures.
    jobs: { send: async () => null },
    modules: kind === 'tenure-bench' ? [benchModule] : kind === 'tenure-modules' ? modules : [],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: portOf(app.server.address()),
    close: async () => {
      await app.close();
      await db.destroy();
    },
    ...(recorder ? { capture: recorder } : {}),
  };
}

/**
 * Records, while switched on, every statement the pool's connections are sent (Kysely's queries
 * and its BEGIN and COMMIT alike), and sends them to the parent when switched off.
 */
function recordStatements(pool: pg.Pool): (on: boolean) => void {
  let recording: CapturedQuery[] | undefined;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [text, values] = args;
      const sql = typeof text === 'string' ? text : (text as { text?: unknown } | null)?.text;
      if (recording && typeof sql === 'string') recording.push({ sql, parameters: Array.isArray(values) ? (values as unknown[]) : [] });
      return query(...args);
    };
  });
  return (on) => {
    if (on) {
      recording = [];
      void tellParent({ type: 'capturing' });
    } else {
      const queries = recording ?? [];
      recording = undefined;
      void tellParent({ type: 'captured', queries });
    }
  };
}

function portOf(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return address.port;
}

try {
  const server = await serve();
  onParentMessage({ stop: server.close, ...(server.capture ? { capture: server.capture } : {}) });
  await tellParent({ type: 'ready', port: server.port });
} catch (error) {
  await tellParent({ type: 'failed', message: (error as Error).message });
  process.exit(1);
}
