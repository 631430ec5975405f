import type { Queryable } from '../../platform/db/database.ts';
import { offsetOf, type PageQuery } from '../../platform/http/pagination.ts';
import type { ListingSearchQuery, PendingListing, PublicListing } from './schemas.ts';
import { pendingPublications, type PublicationRow, searchPublications } from './store.ts';

/** The marketplace: approved, active listings of every organization, read from `listing_publication`. */

const number = (value: string | number | null) => (value === null ? null : Number(value));

function publicOf(row: PublicationRow): PublicListing {
  return {
    id: row.listingId,
    title: row.title,
    description: row.description,
    category: row.category as PublicListing['category'],
    propertyType: row.propertyType,
    rentalModes: row.rentalModes as PublicListing['rentalModes'],
    city: row.city,
    region: row.region,
    country: row.country,
    latitude: number(row.latitude),
    longitude: number(row.longitude),
    currency: row.currency,
    dailyPrice: row.dailyPrice,
    monthlyPrice: row.monthlyPrice,
    leaseRate: row.leaseRate,
    securityDeposit: row.securityDeposit,
    furnishing: row.furnishing as PublicListing['furnishing'],
    amenities: row.amenities,
    maxOccupancy: row.maxOccupancy,
    images: row.images as PublicListing['images'],
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function searchMarketplace(db: Queryable, query: ListingSearchQuery): Promise<{ data: PublicListing[]; total: number }> {
  const { rows, total } = await searchPublications(db, {
    q: query.q,
    category: query.category,
    modes: query.modes,
    minPrice: query.minPrice,
    maxPrice: query.maxPrice,
    priceMode: query.priceMode,
    currency: query.currency,
    city: query.city,
    country: query.country,
    furnishing: query.furnishing,
    sort: query.sort ?? (query.q === undefined ? 'newest' : 'relevance'),
    ...offsetOf(query),
  });
  return { data: rows.map(publicOf), total };
}

export async function pendingListings(db: Queryable, query: PageQuery): Promise<{ data: PendingListing[]; total: number }> {
  const { rows, total } = await pendingPublications(db, offsetOf(query));
  return {
    data: rows.map((row) => ({
      ...publicOf(row),
      organizationId: row.organizationId,
      moderationStatus: row.moderationStatus as PendingListing['moderationStatus'],
      submittedAt: row.submittedAt === null ? null : row.submittedAt.toISOString(),
    })),
    total,
  };
}
