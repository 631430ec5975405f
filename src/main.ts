/**
 * Process entry: configuration → database → migrations → jobs and event relay → HTTP → demo data
 * (first start on an empty embedded database only).
 * `--role api|worker|all` (or TENURE_ROLE) chooses what this process runs, so the API and the
 * workers can be scaled apart; every role shares one database.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import { seedDemoOnFirstStart } from './demo/index.ts';
import { ensureAuditPartitions } from './platform/audit/audit-log.ts';
import { modules } from './modules/index.ts';
import { bootstrapPlatformAdmin } from './modules/organizations/index.ts';
import { ConfigError, type Config, loadConfig, processRoles, type ProcessRole } from './platform/config.ts';
import { createDatabase, createPool, type Database } from './platform/db/database.ts';
import { migrateDatabaseAt } from './platform/db/scratch-database.ts';
import { acquirePostgres, type PostgresServer } from './platform/db/server.ts';
import { startEventRelay } from './platform/events/relay.ts';
import { subscribersOf } from './platform/module.ts';
import { platformJobs } from './platform/jobs/platform-jobs.ts';
import { startJobs } from './platform/jobs/jobs.ts';
import { createLogger } from './platform/logging.ts';
import { createMetrics, observePool } from './platform/metrics.ts';
import { createObjectStorage } from './platform/storage/index.ts';

function readConfig(argv: string[]): Config {
  const roleIndex = argv.findIndex((arg) => arg === '--role' || arg.startsWith('--role='));
  const role = roleIndex === -1 ? undefined : (argv[roleIndex]?.split('=')[1] ?? argv[roleIndex + 1]);
  if (roleIndex !== -1 && !processRoles.includes(role as ProcessRole)) {
    throw new ConfigError(`Invalid configuration: --role must be one of ${processRoles.join(', ')}`);
  }
  return loadConfig(process.env, role ? { TENURE_ROLE: role } : {});
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = readConfig(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const logger = createLogger(config);
  const runApi = config.TENURE_ROLE !== 'worker';
  const runWorkers = config.TENURE_ROLE !== 'api';

  const stack: { name: string; stop: () => Promise<unknown> }[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string, exitCode: number) => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const deadline = setTimeout(() => {
        logger.error('shutdown took too long; stopping PostgreSQL and exiting');
        // Whatever else is stuck, an embedded PostgreSQL must not outlive this process.
        const postgres = stack.find((component) => component.name === 'postgres');
        void Promise.race([postgres?.stop(), delay(5000)])
          .catch(() => undefined)
          .finally(() => process.exit(1));
      }, config.SHUTDOWN_TIMEOUT_MS);
      deadline.unref();
      for (const component of stack.reverse()) {
        try {
          await component.stop();
        } catch (error) {
          logger.error({ err: error, component: component.name }, 'component failed to stop');
          exitCode = 1;
        }
      }
      logger.info('stopped');
      logger.flush();
      process.exit(exitCode);
    })();
    return stopping;
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.once('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (error) => {
    logger.fatal({ err: error }, 'unhandled rejection');
    void shutdown('unhandled rejection', 1);
  });

  try {
    const server: PostgresServer = await acquirePostgres(config, (message) => logger.info(message));
    stack.push({ name: 'postgres', stop: () => server.stop() });
    // Migrations run as the URL's user, the owner of the tables, on a connection of their own; the
    // pool acts as the application role that migration 0004 creates (docs/decisions/0012).
    const applied = await migrateDatabaseAt(server.url);
    logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database is up to date');
    const pool = createPool({ url: server.url, poolMax: config.DATABASE_POOL_MAX });
    const db = createDatabase(pool);
    stack.push({ name: 'database pool', stop: () => db.destroy() });
    // The audit log's partitions of this month and the next two; a daily job keeps them ahead.
    await ensureAuditPartitions(db);
    await makeFirstPlatformAdmin(db, config, logger);
    const storage = createObjectStorage(config);

    const metrics = createMetrics();
    observePool(metrics, pool);
    const jobs = await startJobs({
      url: server.url,
      db,
      config,
      logger,
      metrics,
      definitions: [...platformJobs(config, storage), ...modules.flatMap((module) => module.jobs ?? [])],
      runWorkers,
    });
    stack.push({ name: 'jobs', stop: () => jobs.stop() });

    const readinessChecks = [{ name: 'jobs', check: async () => jobs.problem() }];
    if (runWorkers) {
      const relay = await startEventRelay({
        db,
        url: server.url,
        logger,
        metrics,
        config,
        subscribers: subscribersOf(modules, config),
      });
      stack.push({ name: 'event relay', stop: () => relay.stop() });
      readinessChecks.push({ name: 'event relay', check: async () => relay.problem() });
    }

    const app = await buildApp({ config, db, logger, metrics, jobs, modules: runApi ? modules : [], readinessChecks, storage });
    stack.push({ name: 'http', stop: () => app.close() });
    const address = await app.listen({ host: config.HOST, port: config.PORT });
    logger.info(
      { role: config.TENURE_ROLE, embeddedPostgres: server.embedded },
      `Tenure is listening on ${address} (API docs at ${address}/docs)`,
    );
    // A first start on an empty embedded database gets demo data; a failed demo never stops start-up.
    await seedDemoOnFirstStart({ app, db, config, embedded: server.embedded, runsApi: runApi, url: address, logger });
  } catch (error) {
    logger.fatal({ err: error }, `start-up failed: ${(error as Error).message}`);
    await shutdown('start-up failed', 1);
  }
}

/** PLATFORM_ADMIN_EMAIL becomes the platform organization's admin while it has none. */
async function makeFirstPlatformAdmin(db: Database, config: Config, logger: Logger): Promise<void> {
  const outcome = await bootstrapPlatformAdmin(db, config).catch((error: unknown) => {
    throw new Error(`PLATFORM_ADMIN_EMAIL could not be made the platform's admin: ${(error as Error).message}`, { cause: error });
  });
  if (outcome?.status === 'has_admin') logger.info('the platform organization has an admin already; PLATFORM_ADMIN_EMAIL is left unused');
  if (outcome?.status === 'made_admin') {
    logger.info(
      { userId: outcome.userId, accountOpened: outcome.accountOpened },
      'PLATFORM_ADMIN_EMAIL is now an admin of the platform organization',
    );
  }
}

await main();
