/**
 * The HTTP server under load, in its own process (`node --import tsx bench/server.ts`) so that it
 * never shares an event loop with autocannon. BENCH_SERVER chooses what it serves:
 * - `bare`: Fastify 5 with one route, the framework's ceiling;
 * - `tenure`: Tenure's real application (`buildApp`) with no modules;
 * - `tenure-bench`: the same with the bench module's `POST /bench/things`.
 */
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { buildApp } from '../src/app.ts';
import { createLogger } from '../src/platform/logging.ts';
import { createMetrics, observePool } from '../src/platform/metrics.ts';
import { benchModule } from './bench-module.ts';
import { childDatabase, onParentMessage, tellParent } from './child.ts';

async function serve(): Promise<{ port: number; close: () => Promise<void> }> {
  const kind = process.env.BENCH_SERVER;
  if (kind === 'bare') {
    const app = Fastify();
    app.get('/health/live', async () => ({ status: 'ok' }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return { port: portOf(app.server.address()), close: () => app.close() };
  }
  if (kind !== 'tenure' && kind !== 'tenure-bench')
    throw new Error(`BENCH_SERVER must be bare, tenure or tenure-bench (got ${String(kind)})`);
  // The bench's single client would otherwise be refused after 600 requests a minute.
  const { config, pool, db } = childDatabase('tenure-bench-server', { RATE_LIMIT_MAX: '1000000' });
  const metrics = createMetrics();
  observePool(metrics, pool);
  const app = await buildApp({
    config,
    db,
    logger: createLogger(config),
    metrics,
    // No route under load sends a job; a no-op keeps pg-boss's own connections out of the figures.
    jobs: { send: async () => null },
    modules: kind === 'tenure-bench' ? [benchModule] : [],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    port: portOf(app.server.address()),
    close: async () => {
      await app.close();
      await db.destroy();
    },
  };
}

function portOf(address: AddressInfo | string | null): number {
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return address.port;
}

try {
  const server = await serve();
  onParentMessage({ stop: server.close });
  await tellParent({ type: 'ready', port: server.port });
} catch (error) {
  await tellParent({ type: 'failed', message: (error as Error).message });
  process.exit(1);
}
