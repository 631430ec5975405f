import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

const batchSize = 5000;

/**
 * Deletes outbox events relayed more than `retentionDays` ago that no subscriber still has to
 * handle, and inbox rows older than that, in batches so no statement holds locks for long.
 * Returns how many rows were deleted. An event still pending or parked for any subscriber stays.
 */
export async function purgeHandledEvents(db: Database, retentionDays: number): Promise<number> {
  const cutoff = sql<Date>`now() - make_interval(days => ${retentionDays})`;
  let purged = 0;
  for (;;) {
    const result = await sql`
      DELETE FROM outbox_event WHERE seq IN (
        SELECT seq FROM outbox_event o
        -- created_at is never later than relayed_at; the condition lets its index narrow the scan.
        WHERE o.created_at < ${cutoff}
          AND o.relayed_at < ${cutoff}
          AND NOT EXISTS (SELECT 1 FROM event_delivery d WHERE d.event_id = o.id)
        LIMIT ${batchSize}
      )
    `.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    purged += deleted;
    if (deleted < batchSize) break;
  }
  for (;;) {
    const result = await sql`
      DELETE FROM event_inbox WHERE (subscriber, event_id) IN (
        SELECT subscriber, event_id FROM event_inbox WHERE handled_at < ${cutoff} LIMIT ${batchSize}
      )
    `.execute(db);
    const deleted = Number(result.numAffectedRows ?? 0n);
    purged += deleted;
    if (deleted < batchSize) break;
  }
  return purged;
}
