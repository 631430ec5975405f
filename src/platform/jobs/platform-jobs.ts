import type { Config } from '../config.ts';
import { purgeHandledEvents } from '../events/retention.ts';
import { purgeExpiredKeys } from '../http/idempotency.ts';
import type { JobDefinition } from './jobs.ts';

/** Housekeeping the platform's own mechanisms need, whatever modules are installed. */
export function platformJobs(config: Pick<Config, 'OUTBOX_RETENTION_DAYS'>): JobDefinition[] {
  return [
    {
      name: 'platform.idempotency.purge.v1',
      schedule: '17 * * * *',
      async handle(_payload, { db, logger }) {
        const purged = await purgeExpiredKeys(db);
        logger.info({ purged }, 'expired idempotency keys purged');
      },
    },
    {
      name: 'platform.events.purge.v1',
      schedule: '41 3 * * *',
      async handle(_payload, { db, logger }) {
        const purged = await purgeHandledEvents(db, config.OUTBOX_RETENTION_DAYS);
        logger.info({ purged }, 'handled events past retention purged');
      },
    },
  ];
}
