import { randomUUID } from 'node:crypto';
import { withBenchServer } from '../child.ts';
import { createPool } from '../../src/platform/db/database.ts';
import { type HttpLoad, measureHttp, sendOnce } from '../http.ts';
import { compare } from '../results.ts';
import { loopMeasurement, runLoops } from '../stats.ts';
import { type Scenario, serverOptions } from './context.ts';

/**
 * Scenario 2: what an Idempotency-Key costs on a POST that writes one row in its request
 * transaction, and what that POST costs against the same INSERT sent straight to PostgreSQL.
 */
export const idempotencyScenario: Scenario = async (context, result) => {
  const { settings, log } = context;

  log(`  raw SQL limit: INSERT INTO bench_thing from ${settings.connections} workers over a pool of ${settings.poolMax}`);
  const pool = createPool({ url: context.database.url, poolMax: settings.poolMax, applicationName: 'tenure-bench-raw' });
  try {
    const insert = () => pool.query('INSERT INTO bench_thing (name) VALUES ($1) RETURNING id', ['bench']);
    await runLoops({ workers: settings.connections, seconds: settings.warmupSeconds, operation: insert });
    const loop = await runLoops({ workers: settings.connections, seconds: settings.seconds, operation: insert });
    result.measurements.push(
      loopMeasurement(
        'sql.insert.bench_thing',
        `Raw SQL INSERT … RETURNING id (pg Pool of ${settings.poolMax}, ${settings.connections} workers)`,
        loop,
        {
          unit: 'inserts/s',
          isLimit: true,
        },
      ),
    );
  } finally {
    await pool.end();
  }

  await withBenchServer('tenure-bench', serverOptions(context), async (server) => {
    const post: HttpLoad = {
      url: `${server.baseUrl}/bench/things`,
      method: 'POST',
      body: JSON.stringify({ name: 'bench' }),
      headers: { 'content-type': 'application/json' },
    };

    log('  POST /bench/things without Idempotency-Key');
    result.measurements.push(await measureHttp('http.post.nokey', 'POST /bench/things, no Idempotency-Key', post, settings));

    log('  POST /bench/things with a fresh Idempotency-Key per request');
    result.measurements.push(
      await measureHttp(
        'http.post.uniquekey',
        'POST /bench/things, a fresh Idempotency-Key per request',
        { ...post, perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }) },
        settings,
      ),
    );

    log('  POST /bench/things replaying one stored Idempotency-Key');
    const replayed: HttpLoad = { ...post, headers: { ...post.headers, 'idempotency-key': `bench-replay-${randomUUID()}` } };
    const first = await sendOnce(replayed);
    if (first !== 201) throw new Error(`the request that stores the replayed response answered ${first}, not 201`);
    result.measurements.push(await measureHttp('http.post.replay', 'POST /bench/things, replays of one stored key', replayed, settings));
  });

  result.comparisons.push(
    compare(
      'http.post.nokey',
      'sql.insert.bench_thing',
      'share of the database ceiling for this write that a request transaction over HTTP reaches',
    ),
    compare('http.post.uniquekey', 'http.post.nokey', 'cost of claiming the key and storing the reply; 1.0 would be free'),
    compare('http.post.replay', 'http.post.nokey', 'a replay against doing the work; above 1.0 a replay is cheaper'),
  );
  result.notes.push(
    'Each POST variant goes through autocannon setupRequest, so the load generator does the same work for all three.',
    'The raw-SQL limit runs the same INSERT with autocommit (one round trip); the POST adds BEGIN and COMMIT around it in the request transaction.',
  );
};
