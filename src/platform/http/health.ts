import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import type { Metrics } from '../metrics.ts';
import { platformErrors } from './errors.ts';
import type { App } from './server.ts';

export interface ReadinessCheck {
  name: string;
  /** Throws, or returns a reason, when the component cannot serve. */
  check: () => Promise<string | undefined>;
}

const CheckResult = z.object({ name: z.string(), status: z.enum(['ok', 'failing']), reason: z.string().optional() });
const HealthReply = z.object({ status: z.enum(['ok', 'failing']), checks: z.array(CheckResult).optional() });

export function databaseCheck(db: Database): ReadinessCheck {
  return {
    name: 'database',
    check: async () => {
      await sql`SELECT 1`.execute(db);
      return undefined;
    },
  };
}

export function registerOperationsRoutes(app: App, options: { checks: ReadinessCheck[]; metrics: Metrics }): void {
  const operations = { tags: ['operations'], hide: false } as const;

  app.get(
    '/health/live',
    { schema: { ...operations, summary: 'The process is running', response: { 200: HealthReply } }, config: { rateLimit: false } },
    async () => ({
      status: 'ok' as const,
    }),
  );

  app.get(
    '/health/ready',
    {
      schema: { ...operations, summary: 'The database and the workers can serve', response: { 200: HealthReply } },
      config: { rateLimit: false },
    },
    async () => {
      const checks = await Promise.all(
        options.checks.map(async ({ name, check }) => {
          try {
            const reason = await withTimeout(check(), 2000);
            return reason ? { name, status: 'failing' as const, reason } : { name, status: 'ok' as const };
          } catch (error) {
            return { name, status: 'failing' as const, reason: (error as Error).message };
          }
        }),
      );
      const failing = checks.filter((check) => check.status === 'failing');
      if (failing.length > 0) {
        throw platformErrors.raise('unavailable', failing.map((check) => `${check.name}: ${check.reason}`).join('; '));
      }
      return { status: 'ok' as const, checks };
    },
  );

  app.get(
    '/metrics',
    { schema: { ...operations, summary: 'Prometheus metrics', hide: true }, config: { rateLimit: false } },
    async (_request, reply) => {
      reply.type(options.metrics.contentType);
      return options.metrics.metrics();
    },
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
