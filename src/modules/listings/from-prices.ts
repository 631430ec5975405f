import type { Database } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import type { JobDefinition } from '../../platform/jobs/jobs.ts';
import { syncPublication } from './publication.ts';

/**
 * The published "from" price is the lowest price of seasons not yet over, so it can change with
 * no event at all: the day a cheap season ends. Once a day every publication is copied again,
 * one organization per transaction (row-level security confines each to its own listings). The
 * read model itself names the organizations that have publications.
 */
export async function refreshPublishedPrices(db: Database): Promise<{ organizations: number; listings: number }> {
  const organizations = await db.selectFrom('listingPublication').select('organizationId').distinct().execute();
  let listings = 0;
  for (const { organizationId } of organizations) {
    listings += await transactionAsTenant(db, organizationId, async (tx) => {
      const published = await tx.selectFrom('listing').selectAll().where('submittedAt', 'is not', null).orderBy('id').execute();
      for (const listing of published) await syncPublication(tx, listing);
      return published.length;
    });
  }
  return { organizations: organizations.length, listings };
}

export const refreshPublishedPricesJob: JobDefinition = {
  name: 'listings.from-prices.refresh.v1',
  schedule: '7 0 * * *',
  async handle(_payload, { db, logger }) {
    logger.info(await refreshPublishedPrices(db), 'published "from" prices refreshed');
  },
};
