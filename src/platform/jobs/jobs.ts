import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { observeValue, type Metrics } from '../metrics.ts';

/**
 * Background jobs and cron schedules on pg-boss: jobs live in PostgreSQL and are claimed with
 * `SKIP LOCKED`, so any number of worker processes share them with no other server.
 */
export interface JobContext {
  db: Database;
  logger: Logger;
  config: Config;
}

export interface JobDefinition<Payload extends object = object> {
  /** Dotted and versioned: `platform.idempotency.purge.v1`. */
  name: string;
  /** Five-field cron expression in UTC, for recurring jobs. */
  schedule?: string;
  retryLimit?: number;
  handle(payload: Payload, context: JobContext): Promise<void>;
}

export interface Jobs {
  send<Payload extends object>(
    definition: JobDefinition<Payload>,
    payload: Payload,
    options?: { startAfter?: Date; singletonKey?: string },
  ): Promise<string | null>;
  /** A reason when the job workers cannot run, for the readiness check. */
  problem(): string | undefined;
  stop(): Promise<void>;
}

export interface StartJobsOptions {
  url: string;
  db: Database;
  /** Handed to every job's handler, as the modules' routes receive it. */
  config: Config;
  logger: Logger;
  metrics: Metrics;
  definitions: JobDefinition[];
  /** Workers claim and run jobs and keep schedules; without them the process can only send jobs. */
  runWorkers: boolean;
}

export async function startJobs(options: StartJobsOptions): Promise<Jobs> {
  const { logger } = options;
  const boss = new PgBoss({
    connectionString: options.url,
    schema: 'pgboss',
    application_name: 'tenure-jobs',
    max: 4,
    supervise: options.runWorkers,
    schedule: options.runWorkers,
    migrate: true,
  });
  let lastError: Error | undefined;
  boss.on('error', (error) => {
    lastError = error;
    logger.error({ err: error }, 'job queue error');
  });
  await boss.start();

  for (const definition of options.definitions) {
    await boss.createQueue(definition.name, { name: definition.name, retryLimit: definition.retryLimit ?? 5, retryBackoff: true });
  }
  if (options.runWorkers) {
    const context: JobContext = { db: options.db, logger, config: options.config };
    for (const definition of options.definitions) {
      await boss.work<object>(definition.name, async (jobs) => {
        for (const job of jobs) {
          const jobLogger = logger.child({ job: definition.name, jobId: job.id });
          await definition.handle(job.data, { ...context, logger: jobLogger });
        }
      });
      if (definition.schedule) await boss.schedule(definition.name, definition.schedule, {}, { tz: 'UTC' });
    }
  }

  observeValue(options.metrics, {
    name: 'tenure_job_queue_depth',
    help: 'Jobs waiting to run, by queue',
    labelNames: ['queue'],
    read: async () =>
      Promise.all(options.definitions.map(async ({ name }) => ({ labels: { queue: name }, value: await boss.getQueueSize(name) }))),
  });

  let stopped = false;
  return {
    send: (definition, payload, sendOptions = {}) => boss.send(definition.name, payload, sendOptions),
    problem: () => (stopped ? 'job workers are stopped' : lastError ? `job queue error: ${lastError.message}` : undefined),
    async stop() {
      if (stopped) return;
      stopped = true;
      await boss.stop({ graceful: true, wait: true, timeout: 5000, close: true });
    },
  };
}
