import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { systemCaller } from '../../platform/audit/change.ts';
import type { Database } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import type { JobDefinition } from '../../platform/jobs/jobs.ts';
import { expireBookings } from './lifecycle.ts';
import { releaseExpiredHolds } from './occupancy.ts';
import { bookingIdsWithExpiredHolds } from './store.ts';

/**
 * Releases every expired hold and cancels its booking as `timeout`: one transaction per
 * organization that has any, found by `bookings_hold_expiry_organizations` (migration 0014), since
 * the job's own transaction names no organization and row-level security shows it no booking.
 */
export async function expireHolds(db: Database, now: Date = new Date()): Promise<{ organizations: number; cancelled: string[] }> {
  const { rows } = await sql<{ orgId: string }>`SELECT org_id FROM bookings_hold_expiry_organizations(${now})`.execute(db);
  const correlationId = `bookings.holds.expire:${randomUUID()}`;
  const cancelled: string[] = [];
  for (const { orgId } of rows) {
    const expired = await transactionAsTenant(db, orgId, async (tx) => {
      // The bookings first, then their holds: the order in which every change of a booking locks them.
      const lapsed = await bookingIdsWithExpiredHolds(tx, now, { lock: true });
      const released = await releaseExpiredHolds(tx, now);
      const bookingIds = [...new Set([...lapsed, ...released])];
      return expireBookings(tx, bookingIds, systemCaller(orgId, { correlationId }), now);
    });
    cancelled.push(...expired);
  }
  return { organizations: rows.length, cancelled };
}

export const holdExpiryJob: JobDefinition = {
  name: 'bookings.holds.expire.v1',
  schedule: '* * * * *',
  async handle(_payload, { db, logger }) {
    const { organizations, cancelled } = await expireHolds(db);
    if (cancelled.length > 0)
      logger.info({ organizations, cancelled: cancelled.length }, 'expired holds released and their bookings cancelled');
  },
};
