import { ensureAuditPartitions } from '../audit/audit-log.ts';
import { archiveAuditLog } from '../audit/archive.ts';
import type { Config } from '../config.ts';
import { purgeHandledEvents } from '../events/retention.ts';
import { purgeExpiredKeys } from '../http/idempotency.ts';
import type { ObjectStorage } from '../storage/object-storage.ts';
import type { JobDefinition } from './jobs.ts';

/** Housekeeping the platform's own mechanisms need, whatever modules are installed. */
export function platformJobs(config: Pick<Config, 'OUTBOX_RETENTION_DAYS' | 'AUDIT_HOT_DAYS'>, storage: ObjectStorage): JobDefinition[] {
  return [
    {
      name: 'platform.audit.partitions.v1',
      schedule: '7 2 * * *',
      async handle(_payload, { db, logger }) {
        const partitions = await ensureAuditPartitions(db);
        logger.info({ partitions }, 'audit partitions of this month and the next two ensured');
      },
    },
    {
      name: 'platform.audit.archive.v1',
      schedule: '23 2 * * *',
      async handle(_payload, { db, logger }) {
        const archived = await archiveAuditLog({ db, storage, hotDays: config.AUDIT_HOT_DAYS, logger });
        logger.info({ archived: archived.map((month) => month.month) }, 'audit months past the hot period archived');
      },
    },
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
