import type { TenureModule } from '../../platform/module.ts';
import { refreshPublishedPricesJob } from './from-prices.ts';
import { followInventory, refreshFromPrices } from './subscribers.ts';
import { listingsRoutes } from './routes.ts';

/**
 * Listings: the marketplace publication of a unit type or a unit with its rental modes and terms,
 * its moderation by the platform, and the public search over `listing_publication`.
 */
export { listingTerms, publicListingOrganization, type ListingTerms } from './listings.ts';
export { listingErrors } from './errors.ts';

export const listingsModule: TenureModule = {
  name: 'listings',
  routes: listingsRoutes,
  subscribers: [refreshFromPrices, followInventory],
  jobs: [refreshPublishedPricesJob],
};
