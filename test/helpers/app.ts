import type { FastifyRequest } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/platform/config.ts';
import type { ReadinessCheck } from '../../src/platform/http/health.ts';
import { startJobs } from '../../src/platform/jobs/jobs.ts';
import { createMetrics } from '../../src/platform/metrics.ts';
import type { TenureModule } from '../../src/platform/module.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';

export function testConfig(overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return loadConfig({}, { NODE_ENV: 'test', LOG_LEVEL: 'silent', ...overrides });
}

export interface TestApp {
  app: Awaited<ReturnType<typeof buildApp>>;
  database: TestDatabase;
  config: Config;
  close(): Promise<void>;
}

/** The real application on this file's own database, driven with `app.inject`. */
export async function buildTestApp(
  options: {
    modules?: TenureModule[];
    config?: Partial<Record<keyof Config, string>>;
    callerScope?: (request: FastifyRequest) => string;
    database?: TestDatabase;
    readinessChecks?: ReadinessCheck[];
  } = {},
): Promise<TestApp> {
  const config = testConfig(options.config);
  const database = options.database ?? (await createTestDatabase());
  const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const metrics = createMetrics();
  const jobs = await startJobs({ url: database.url, db: database.db, config, logger, metrics, definitions: [], runWorkers: false });
  const app = await buildApp({
    config,
    db: database.db,
    logger,
    metrics,
    jobs,
    modules: options.modules ?? [],
    callerScope: options.callerScope,
    readinessChecks: options.readinessChecks,
  });
  await app.ready();
  return {
    app,
    database,
    config,
    async close() {
      await app.close();
      await jobs.stop();
      if (!options.database) await database.drop();
    },
  };
}
