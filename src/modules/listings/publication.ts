import type { Tx } from '../../platform/db/database.ts';
import { propertyFacts, unitTypeFacts } from '../inventory/index.ts';
import { fromPrice } from '../pricing/index.ts';
import { type ListingRow, type NewPublication, updatePublicationStatus, upsertPublication } from './store.ts';

/**
 * The marketplace's read model: one `listing_publication` row per listing that was ever submitted,
 * written in the transaction of every change of the listing, with what the marketplace filters on
 * (the property's place and category, the prices of each mode) copied in.
 */

/** The daily "from" price: the lowest price of the unit type's default rate plan, in the listing's currency. */
async function dailyPriceOf(tx: Tx, listing: ListingRow): Promise<number | null> {
  if (!listing.rentalModes.includes('daily')) return null;
  const price = await fromPrice(tx, listing.unitTypeId);
  return price && price.currency === listing.currency ? price.amount : null;
}

/** The publication row of a listing, or undefined when its property or unit type is gone. */
export async function publicationOf(tx: Tx, listing: ListingRow): Promise<NewPublication | undefined> {
  const [property, unitType] = await Promise.all([propertyFacts(tx, listing.propertyId), unitTypeFacts(tx, listing.unitTypeId)]);
  if (!property || !unitType) return undefined;
  return {
    listingId: listing.id,
    organizationId: listing.orgId,
    title: listing.title,
    description: listing.description,
    category: property.category,
    propertyType: property.propertyType,
    rentalModes: listing.rentalModes,
    city: property.city,
    region: property.region,
    country: property.country,
    latitude: property.latitude,
    longitude: property.longitude,
    currency: listing.currency,
    dailyPrice: await dailyPriceOf(tx, listing),
    monthlyPrice: listing.rentalModes.includes('monthly') ? listing.monthlyPrice : null,
    leaseRate: listing.rentalModes.includes('lease') ? listing.leaseRate : null,
    securityDeposit: listing.securityDeposit,
    furnishing: listing.furnishing,
    amenities: [...new Set([...listing.amenities, ...property.amenities])],
    maxOccupancy: unitType.maxOccupancy,
    images: JSON.stringify(property.images),
    moderationStatus: listing.moderationStatus,
    isActive: listing.isActive,
    submittedAt: listing.submittedAt,
    updatedAt: new Date(),
  };
}

/** Writes the listing's publication row, once it was submitted; a draft never submitted has none. */
export async function syncPublication(tx: Tx, listing: ListingRow): Promise<void> {
  if (listing.submittedAt === null) return;
  const row = await publicationOf(tx, listing);
  if (row) await upsertPublication(tx, row);
  else await updatePublicationStatus(tx, listing.id, listing);
}
