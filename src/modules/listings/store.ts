import { type Expression, type Insertable, type Selectable, type SqlBool, sql, type Updateable } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows, escapeLike } from '../../platform/db/queries.ts';
import type { Listing, ListingPublication } from '../../platform/db/schema.ts';

/**
 * The listings module's SQL. `listing` is tenant-isolated (the transaction's organization);
 * `listing_publication`, the marketplace's read model, is readable across organizations.
 */

export type ListingRow = Selectable<Listing>;
export type PublicationRow = Selectable<ListingPublication>;
export type NewPublication = Omit<Insertable<ListingPublication>, 'search'>;

export function actingOrganization(db: Queryable): Promise<string> {
  return sql<{ orgId: string | null }>`SELECT tenure_current_org() AS org_id`.execute(db).then(({ rows }) => {
    const orgId = rows[0]?.orgId;
    if (!orgId) throw new Error('No acting organization: listings are kept per organization');
    return orgId;
  });
}

export function listingRow(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ListingRow | undefined> {
  const query = db.selectFrom('listing').selectAll().where('id', '=', id);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function insertListing(tx: Tx, values: Insertable<Listing>): Promise<ListingRow> {
  return tx.insertInto('listing').values(values).returningAll().executeTakeFirstOrThrow();
}

export function updateListing(tx: Tx, id: string, changes: Updateable<Listing>): Promise<ListingRow> {
  return tx
    .updateTable('listing')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteListing(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('listing').where('id', '=', id).execute();
}

/** The organization's listings of a property or of a unit type, oldest first. */
export function listingsOf(db: Queryable, of: { propertyId: string } | { unitTypeId: string }): Promise<ListingRow[]> {
  const query = db.selectFrom('listing').selectAll();
  return ('propertyId' in of ? query.where('propertyId', '=', of.propertyId) : query.where('unitTypeId', '=', of.unitTypeId))
    .orderBy('id')
    .execute();
}

export interface OrganizationListingFilter {
  propertyIds?: string[];
  moderationStatus?: string;
  propertyId?: string;
  isActive?: boolean;
  q?: string;
  limit: number;
  offset: number;
}

export async function organizationListings(
  db: Queryable,
  filter: OrganizationListingFilter,
): Promise<{ rows: ListingRow[]; total: number }> {
  const conditions: Expression<SqlBool>[] = [];
  if (filter.propertyIds !== undefined) {
    conditions.push(filter.propertyIds.length === 0 ? sql<SqlBool>`false` : sql<SqlBool>`property_id = ANY(${filter.propertyIds}::uuid[])`);
  }
  if (filter.moderationStatus !== undefined) conditions.push(sql<SqlBool>`moderation_status = ${filter.moderationStatus}`);
  if (filter.propertyId !== undefined) conditions.push(sql<SqlBool>`property_id = ${filter.propertyId}`);
  if (filter.isActive !== undefined) conditions.push(sql<SqlBool>`is_active = ${filter.isActive}`);
  if (filter.q !== undefined) conditions.push(sql<SqlBool>`(title ILIKE ${`%${escapeLike(filter.q)}%`})`);
  const rows = await db
    .selectFrom('listing')
    .selectAll()
    .where((eb) => eb.and(conditions))
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .offset(filter.offset)
    .execute();
  return { rows, total: await countRows(db.selectFrom('listing').where((eb) => eb.and(conditions))) };
}

// --- the publication read model ---------------------------------------------------------------

export async function upsertPublication(tx: Tx, row: NewPublication): Promise<void> {
  const { listingId: _listingId, ...changes } = row;
  await tx
    .insertInto('listingPublication')
    .values(row)
    .onConflict((conflict) => conflict.column('listingId').doUpdateSet(changes))
    .execute();
}

/** Only the listing's own state, when what the rest is copied from (its property, its unit type) is gone. */
export async function updatePublicationStatus(
  tx: Tx,
  listingId: string,
  status: Pick<NewPublication, 'moderationStatus' | 'isActive' | 'submittedAt'>,
): Promise<void> {
  await tx
    .updateTable('listingPublication')
    .set({ moderationStatus: status.moderationStatus, isActive: status.isActive, submittedAt: status.submittedAt, updatedAt: new Date() })
    .where('listingId', '=', listingId)
    .execute();
}

export function publicationRow(db: Queryable, listingId: string): Promise<PublicationRow | undefined> {
  return db.selectFrom('listingPublication').selectAll().where('listingId', '=', listingId).executeTakeFirst();
}

export function publicOrganizationOf(db: Queryable, listingId: string): Promise<string | undefined> {
  return db
    .selectFrom('listingPublication')
    .select('organizationId')
    .where('listingId', '=', listingId)
    .where('moderationStatus', '=', 'approved')
    .where('isActive', '=', true)
    .executeTakeFirst()
    .then((row) => row?.organizationId);
}

export interface MarketplaceSearch {
  q?: string;
  category?: string;
  modes?: string[];
  minPrice?: number;
  maxPrice?: number;
  priceMode: 'daily' | 'monthly' | 'lease';
  currency?: string;
  city?: string;
  country?: string;
  furnishing?: string;
  sort: 'relevance' | 'newest' | 'price_asc' | 'price_desc';
  limit: number;
  offset: number;
}

const priceColumns = { daily: sql.ref('daily_price'), monthly: sql.ref('monthly_price'), lease: sql.ref('lease_rate') };

/** Approved, active listings matching the filters, from the read model. */
export async function searchPublications(db: Queryable, search: MarketplaceSearch): Promise<{ rows: PublicationRow[]; total: number }> {
  const price = priceColumns[search.priceMode];
  const query = search.q === undefined ? undefined : sql`websearch_to_tsquery('simple', ${search.q})`;
  const conditions: Expression<SqlBool>[] = [sql<SqlBool>`moderation_status = 'approved'`, sql<SqlBool>`is_active`];
  if (search.category !== undefined) conditions.push(sql<SqlBool>`category = ${search.category}`);
  if (search.modes !== undefined) conditions.push(sql<SqlBool>`rental_modes && ${search.modes}::text[]`);
  if (search.minPrice !== undefined) conditions.push(sql<SqlBool>`${price} >= ${search.minPrice}`);
  if (search.maxPrice !== undefined) conditions.push(sql<SqlBool>`${price} <= ${search.maxPrice}`);
  if (search.currency !== undefined) conditions.push(sql<SqlBool>`currency = ${search.currency}`);
  if (search.city !== undefined) conditions.push(sql<SqlBool>`lower(city) = lower(${search.city})`);
  if (search.country !== undefined) conditions.push(sql<SqlBool>`country = ${search.country}`);
  if (search.furnishing !== undefined) conditions.push(sql<SqlBool>`furnishing = ${search.furnishing}`);
  if (query) conditions.push(sql<SqlBool>`search @@ ${query}`);
  const order = {
    relevance: query ? sql`ts_rank(search, ${query}) DESC, submitted_at DESC NULLS LAST` : sql`submitted_at DESC NULLS LAST`,
    newest: sql`submitted_at DESC NULLS LAST`,
    price_asc: sql`${price} ASC NULLS LAST`,
    price_desc: sql`${price} DESC NULLS LAST`,
  }[search.sort];
  const where = sql.join(conditions, sql` AND `);
  const { rows } = await sql<PublicationRow>`
    SELECT * FROM listing_publication WHERE ${where}
    ORDER BY ${order}, listing_id DESC LIMIT ${search.limit} OFFSET ${search.offset}
  `.execute(db);
  const counted = await sql<{ total: number }>`SELECT count(*)::int AS total FROM listing_publication WHERE ${where}`.execute(db);
  return { rows, total: counted.rows[0]?.total ?? 0 };
}

/** Listings waiting for review, in every organization, oldest submission first. */
export async function pendingPublications(
  db: Queryable,
  page: { limit: number; offset: number },
): Promise<{ rows: PublicationRow[]; total: number }> {
  const rows = await db
    .selectFrom('listingPublication')
    .selectAll()
    .where('moderationStatus', '=', 'pending_review')
    .orderBy('submittedAt')
    .orderBy('listingId')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows, total: await countRows(db.selectFrom('listingPublication').where('moderationStatus', '=', 'pending_review')) };
}
