import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';

/**
 * The Redis client of the shared rate limits. It fails fast instead of queueing commands while
 * disconnected, and keeps reconnecting in the background; each outage is logged once. Start-up
 * waits for the first connection (briefly: a Redis that is down does not stop the API), since
 * until then every request would skip the limit.
 */
export async function connectRateLimitRedis(url: string, log: FastifyBaseLogger): Promise<Redis> {
  const redis = new Redis(url, {
    connectionName: 'tenure-rate-limit',
    connectTimeout: 500,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.warn({ err: error }, 'Redis for shared rate limits is unreachable; requests are not rate limited until it answers');
  });
  redis.on('ready', () => {
    if (down) log.info('Redis for shared rate limits answers again');
    down = false;
  });
  await new Promise<void>((resolve) => {
    const settle = () => {
      clearTimeout(timer);
      redis.off('ready', settle).off('error', settle);
      resolve();
    };
    const timer = setTimeout(settle, 1000);
    redis.once('ready', settle).once('error', settle);
  });
  return redis;
}

export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Falls through to a hard disconnect.
    }
  }
  redis.disconnect();
}
