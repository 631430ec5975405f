import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverAnswers } from '../../../test/helpers/services.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { loadConfig } from '../config.ts';

const redisUrl = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

const redisAvailable = await serverAnswers(redisUrl, 6379);
if (!redisAvailable) console.warn(`Redis suite skipped: no server at ${redisUrl}`);

const namespace = 'tenure:rate-limit:';
let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

/** Two instances of the application on one database, as behind a load balancer. */
async function twoInstances(config: Record<string, string>, callerScope?: () => string): Promise<[TestApp, TestApp]> {
  return Promise.all([buildTestApp({ config, database, callerScope }), buildTestApp({ config, database, callerScope })]);
}

const get = (instance: TestApp) => instance.app.inject({ method: 'GET', url: '/problems' });

(redisAvailable ? describe : describe.skip)('rate limits shared through Redis', () => {
  // This run's own caller, so its counter never meets another run's on the same server.
  const caller = `test-run:${randomBytes(6).toString('hex')}`;
  let redis: Redis;

  beforeAll(async () => {
    redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    await redis.del(`${namespace}${caller}`);
    await redis.quit();
  });

  async function rateLimitClientIds(): Promise<Set<string>> {
    const list = String(await redis.call('CLIENT', 'LIST'));
    return new Set([...list.matchAll(/^id=(\d+) .*\bname=tenure-rate-limit\b/gm)].map((match) => match[1]!));
  }

  it('counts requests to two instances against one limit, and answers the one over it 429 with Retry-After', async () => {
    const before = await rateLimitClientIds();
    const [a, b] = await twoInstances({ REDIS_URL: redisUrl, RATE_LIMIT_MAX: '4', RATE_LIMIT_WINDOW_SECONDS: '60' }, () => caller);
    try {
      const replies = [];
      for (const instance of [a, b, a, b]) replies.push(await get(instance));
      expect(replies.map((reply) => reply.statusCode)).toEqual([200, 200, 200, 200]);
      expect(replies.map((reply) => reply.headers['x-ratelimit-remaining'])).toEqual(['3', '2', '1', '0']);

      for (const instance of [a, b]) {
        const refused = await get(instance);
        expect(refused.statusCode).toBe(429);
        expect(refused.json()).toMatchObject({ code: 'request.rate_limited' });
        const retryAfter = Number(refused.headers['retry-after']);
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
      }

      // The counter lives in Redis under the platform's namespace and the caller's scope.
      expect(await redis.get(`${namespace}${caller}`)).toBe('6');
      const ttl = await redis.pttl(`${namespace}${caller}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);

      const ours = [...(await rateLimitClientIds())].filter((id) => !before.has(id));
      expect(ours).toHaveLength(2);
      await Promise.all([a.close(), b.close()]);
      // Closing the app closes its Redis connection.
      const after = await rateLimitClientIds();
      expect(ours.filter((id) => after.has(id))).toEqual([]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('REDIS_URL', () => {
  it('takes redis:// and rediss:// URLs and refuses others in one line, hiding the password', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://user:pw@cache:6380/0' }).REDIS_URL).toBe('rediss://user:pw@cache:6380/0');
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache:6379' })).toThrow(
      'Invalid configuration: REDIS_URL must look like redis://host:port or rediss://host:port (got "http://user:***@cache:6379")',
    );
  });
});

describe('rate limits without Redis', () => {
  it('are counted per instance in memory, so two instances do not share them', async () => {
    const [a, b] = await twoInstances({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_SECONDS: '60' });
    try {
      expect([(await get(a)).statusCode, (await get(a)).statusCode, (await get(a)).statusCode]).toEqual([200, 200, 429]);
      expect([(await get(b)).statusCode, (await get(b)).statusCode, (await get(b)).statusCode]).toEqual([200, 200, 429]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('serve requests unlimited while the configured Redis is unreachable (availability over strictness)', async () => {
    const unreachable = `redis://127.0.0.1:${await closedPort()}`;
    const down = await buildTestApp({ config: { REDIS_URL: unreachable, RATE_LIMIT_MAX: '1' }, database });
    try {
      const started = Date.now();
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(down)).statusCode);
      expect(statuses).toEqual([200, 200, 200]);
      // Each request fails over at once: the client neither queues commands nor waits to connect.
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await down.close();
    }
  });
});
