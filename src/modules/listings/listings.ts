import type { Updateable } from 'kysely';
import type { AuditAction } from '../../platform/audit/audit-log.ts';
import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Listing } from '../../platform/db/schema.ts';
import { AppError } from '../../platform/http/errors.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { propertyFacts, propertyIdsOwnedBy, unitFacts, unitTypeFacts } from '../inventory/index.ts';
import type { Access } from '../organizations/index.ts';
import { cancellationPolicySnapshot, type CancellationPresetName, fromPrice, type RentalMode } from '../pricing/index.ts';
import { listingErrors } from './errors.ts';
import { syncPublication } from './publication.ts';
import type {
  Cancellation,
  CreateListingBody,
  ListingDetailReply,
  ListingReply,
  ListingSearchQuery,
  ModerationStatus,
  UpdateListingBody,
} from './schemas.ts';
import {
  actingOrganization,
  deleteListing,
  insertListing,
  listingRow,
  type ListingRow,
  organizationListings,
  publicOrganizationOf,
  updateListing,
} from './store.ts';

export interface ListingTerms {
  id: string;
  orgId: string;
  propertyId: string;
  unitTypeId: string;
  unitId: string | null;
  title: string;
  rentalModes: RentalMode[];
  currency: string;
  monthlyPrice: number | null;
  leaseRate: number | null;
  securityDeposit: number;
  minLeaseMonths: number | null;
  maxLeaseMonths: number | null;
  monthlyMinStayMonths: number;
  monthlyMaxStayMonths: number | null;
  monthlyNoticePeriodDays: number;
  cancellation: { preset: CancellationPresetName } | { policyId: string };
  autoAccept: Record<RentalMode, boolean>;
  isActive: boolean;
  moderationStatus: ModerationStatus;
}

const source = 'listings';

function cancellationOf(row: ListingRow): Cancellation {
  return row.cancellationPolicyId !== null
    ? { policyId: row.cancellationPolicyId }
    : { preset: (row.cancellationPreset ?? 'moderate') as CancellationPresetName };
}

function termsOf(row: ListingRow): ListingTerms {
  return {
    id: row.id,
    orgId: row.orgId,
    propertyId: row.propertyId,
    unitTypeId: row.unitTypeId,
    unitId: row.unitId,
    title: row.title,
    rentalModes: row.rentalModes as RentalMode[],
    currency: row.currency,
    monthlyPrice: row.monthlyPrice,
    leaseRate: row.leaseRate,
    securityDeposit: row.securityDeposit,
    minLeaseMonths: row.minLeaseMonths,
    maxLeaseMonths: row.maxLeaseMonths,
    monthlyMinStayMonths: row.monthlyMinStayMonths,
    monthlyMaxStayMonths: row.monthlyMaxStayMonths,
    monthlyNoticePeriodDays: row.monthlyNoticePeriodDays,
    cancellation: cancellationOf(row),
    autoAccept: { daily: row.autoAcceptDaily, monthly: row.autoAcceptMonthly, lease: row.autoAcceptLease },
    isActive: row.isActive,
    moderationStatus: row.moderationStatus as ModerationStatus,
  };
}

/** A listing's terms in the acting organization (row-level security applies); undefined when none. */
export async function listingTerms(db: Queryable, listingId: string): Promise<ListingTerms | undefined> {
  const row = await listingRow(db, listingId);
  return row && termsOf(row);
}

/** The organization of an approved, active listing, from the public read model. */
export function publicListingOrganization(db: Queryable, listingId: string): Promise<string | undefined> {
  return publicOrganizationOf(db, listingId);
}

const iso = (value: Date | null) => (value === null ? null : value.toISOString());

export function replyOf(row: ListingRow): ListingReply {
  const terms = termsOf(row);
  return {
    id: row.id,
    organizationId: row.orgId,
    propertyId: row.propertyId,
    unitTypeId: row.unitTypeId,
    unitId: row.unitId,
    title: row.title,
    description: row.description,
    rentalModes: terms.rentalModes,
    currency: row.currency,
    monthlyPrice: row.monthlyPrice,
    leaseRate: row.leaseRate,
    securityDeposit: row.securityDeposit,
    furnishing: row.furnishing as ListingReply['furnishing'],
    amenities: row.amenities,
    minLeaseMonths: row.minLeaseMonths,
    maxLeaseMonths: row.maxLeaseMonths,
    monthlyMinStayMonths: row.monthlyMinStayMonths,
    monthlyMaxStayMonths: row.monthlyMaxStayMonths,
    monthlyNoticePeriodDays: row.monthlyNoticePeriodDays,
    cancellation: terms.cancellation,
    autoAccept: terms.autoAccept,
    isActive: row.isActive,
    moderationStatus: terms.moderationStatus,
    moderationNote: row.moderationNote,
    submittedAt: iso(row.submittedAt),
    reviewedAt: iso(row.reviewedAt),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The listing with its property's place, its capacity and its "from" price; `forPublic` hides the reviewer's note. */
async function detailOf(db: Queryable, row: ListingRow, forPublic: boolean): Promise<ListingDetailReply> {
  const [property, unitType, price] = await Promise.all([
    propertyFacts(db, row.propertyId),
    unitTypeFacts(db, row.unitTypeId),
    row.rentalModes.includes('daily') ? fromPrice(db, row.unitTypeId) : undefined,
  ]);
  return {
    ...replyOf(row),
    ...(forPublic ? { moderationNote: null } : {}),
    property: property
      ? {
          name: property.name,
          category: property.category,
          propertyType: property.propertyType,
          city: property.city,
          region: property.region,
          country: property.country,
          latitude: property.latitude,
          longitude: property.longitude,
          timeZone: property.timeZone,
          checkInTime: property.checkInTime,
          checkOutTime: property.checkOutTime,
          amenities: property.amenities,
          images: property.images,
        }
      : null,
    maxOccupancy: unitType?.maxOccupancy ?? null,
    fromPrice: price ?? null,
  };
}

// --- scope ------------------------------------------------------------------------------------

/** The properties whose listings the caller reaches: every one (undefined), or an owner's own. */
async function reachableProperties(db: Queryable, access: Pick<Access, 'scope' | 'userId'>): Promise<string[] | undefined> {
  return access.scope === 'all' ? undefined : propertyIdsOwnedBy(db, access.userId);
}

function notFound(listingId: string) {
  return listingErrors.raise('not_found', `No listing ${listingId} here`);
}

/** The listing in the acting organization and within the caller's scope, or 404. */
async function listingInScope(
  db: Queryable,
  access: Pick<Access, 'scope' | 'userId'>,
  listingId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ListingRow> {
  const row = await listingRow(db, listingId, options);
  const properties = row && (await reachableProperties(db, access));
  if (!row || (properties !== undefined && !properties.includes(row.propertyId))) throw notFound(listingId);
  return row;
}

// --- terms --------------------------------------------------------------------------------------

interface Terms {
  rentalModes: string[];
  monthlyPrice: number | null;
  leaseRate: number | null;
  minLeaseMonths: number | null;
  maxLeaseMonths: number | null;
  monthlyMinStayMonths: number;
  monthlyMaxStayMonths: number | null;
}

function checkTerms(terms: Terms): void {
  const missing = [
    terms.rentalModes.includes('monthly') && terms.monthlyPrice === null ? 'monthlyPrice (monthly stays are offered)' : undefined,
    terms.rentalModes.includes('lease') && terms.leaseRate === null ? 'leaseRate (leases are offered)' : undefined,
  ].filter((text) => text !== undefined);
  if (missing.length > 0) throw listingErrors.raise('price_required', `Missing ${missing.join(' and ')}`);
  if (terms.minLeaseMonths !== null && terms.maxLeaseMonths !== null && terms.minLeaseMonths > terms.maxLeaseMonths)
    throw listingErrors.raise('invalid_terms', 'minLeaseMonths is above maxLeaseMonths');
  if (terms.monthlyMaxStayMonths !== null && terms.monthlyMinStayMonths > terms.monthlyMaxStayMonths)
    throw listingErrors.raise('invalid_terms', 'monthlyMinStayMonths is above monthlyMaxStayMonths');
}

/** The cancellation choice as stored; a custom policy must exist in the organization. */
async function cancellationColumns(db: Queryable, choice: Cancellation) {
  if ('preset' in choice) return { cancellationPreset: choice.preset, cancellationPolicyId: null };
  try {
    await cancellationPolicySnapshot(db, choice);
  } catch (error) {
    if (error instanceof AppError && error.status === 404)
      throw listingErrors.raise('cancellation_policy_unknown', `No cancellation policy ${choice.policyId} here`);
    throw error;
  }
  return { cancellationPreset: null, cancellationPolicyId: choice.policyId };
}

/** What a listing publishes must still exist to be offered: its property and unit type. */
async function requireInventory(db: Queryable, listing: ListingRow): Promise<void> {
  if (!(await propertyFacts(db, listing.propertyId)))
    throw listingErrors.raise('property_unknown', `Property ${listing.propertyId} is gone`);
  if (!(await unitTypeFacts(db, listing.unitTypeId)))
    throw listingErrors.raise('unit_type_mismatch', `Unit type ${listing.unitTypeId} is gone`);
}

async function checkUnit(db: Queryable, unitId: string, unitTypeId: string): Promise<void> {
  const unit = await unitFacts(db, unitId);
  if (unit?.unitTypeId !== unitTypeId) throw listingErrors.raise('unit_mismatch', `Unit ${unitId} is not of unit type ${unitTypeId}`);
}

// --- use cases ----------------------------------------------------------------------------------

export async function createListing(tx: Tx, options: { access: Access; body: CreateListingBody; actor: Caller }): Promise<ListingReply> {
  const { access, body, actor } = options;
  const property = await propertyFacts(tx, body.propertyId);
  const properties = await reachableProperties(tx, access);
  if (!property || (properties !== undefined && !properties.includes(property.id)))
    throw listingErrors.raise('property_unknown', `No property ${body.propertyId} here`);
  const unitType = await unitTypeFacts(tx, body.unitTypeId);
  if (unitType?.propertyId !== property.id)
    throw listingErrors.raise('unit_type_mismatch', `Unit type ${body.unitTypeId} is not one of property ${property.id}'s`);
  if (body.unitId) await checkUnit(tx, body.unitId, unitType.id);
  const terms = {
    rentalModes: body.rentalModes,
    monthlyPrice: body.monthlyPrice ?? null,
    leaseRate: body.leaseRate ?? null,
    minLeaseMonths: body.minLeaseMonths ?? null,
    maxLeaseMonths: body.maxLeaseMonths ?? null,
    monthlyMinStayMonths: body.monthlyMinStayMonths,
    monthlyMaxStayMonths: body.monthlyMaxStayMonths ?? null,
  };
  checkTerms(terms);
  const orgId = await actingOrganization(tx);
  const row = await insertListing(tx, {
    id: uuidv7(),
    orgId,
    propertyId: property.id,
    unitTypeId: unitType.id,
    unitId: body.unitId ?? null,
    title: body.title,
    description: body.description,
    currency: property.currency,
    securityDeposit: body.securityDeposit,
    furnishing: body.furnishing,
    amenities: body.amenities,
    monthlyNoticePeriodDays: body.monthlyNoticePeriodDays,
    ...terms,
    ...(await cancellationColumns(tx, body.cancellation)),
    ...autoAcceptColumns(body.autoAccept),
    isActive: body.isActive,
  });
  const after = replyOf(row);
  await recordChange(tx, actor, {
    orgId,
    action: 'CREATE',
    entityType: 'listing',
    entityId: row.id,
    after,
    event: { type: 'listing.created', source, data: { listingId: row.id, propertyId: row.propertyId, unitTypeId: row.unitTypeId } },
  });
  return after;
}

function autoAcceptColumns(autoAccept: { daily?: boolean; monthly?: boolean; lease?: boolean } | undefined) {
  return {
    ...(autoAccept?.daily === undefined ? {} : { autoAcceptDaily: autoAccept.daily }),
    ...(autoAccept?.monthly === undefined ? {} : { autoAcceptMonthly: autoAccept.monthly }),
    ...(autoAccept?.lease === undefined ? {} : { autoAcceptLease: autoAccept.lease }),
  };
}

/** What a guest reads to decide: changing it on an approved listing needs a new review. */
const contentFields = ['title', 'description', 'amenities', 'furnishing'] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export async function updateListingTerms(
  tx: Tx,
  options: { access: Access; listingId: string; body: UpdateListingBody; actor: Caller },
): Promise<ListingReply> {
  const { access, listingId, body, actor } = options;
  const before = await listingInScope(tx, access, listingId, { forUpdate: true });
  const { cancellation, autoAccept, ...fields } = body;
  const changes: Updateable<Listing> = {};
  for (const [field, value] of Object.entries(fields)) {
    if (!same(before[field as keyof ListingRow], value)) Object.assign(changes, { [field]: value });
  }
  if (cancellation !== undefined && !same(cancellationOf(before), cancellation))
    Object.assign(changes, await cancellationColumns(tx, cancellation));
  for (const [column, value] of Object.entries(autoAcceptColumns(autoAccept))) {
    if (before[column as keyof ListingRow] !== value) Object.assign(changes, { [column]: value });
  }
  if (Object.keys(changes).length === 0) return replyOf(before);
  if (changes.unitId) await checkUnit(tx, changes.unitId, before.unitTypeId);
  if (changes.isActive === true) await requireInventory(tx, before);
  checkTerms({ ...before, ...changes });

  const contentChanged = contentFields.filter((field) => field in changes);
  const backToReview = before.moderationStatus === 'approved' && contentChanged.length > 0;
  if (backToReview) Object.assign(changes, { moderationStatus: 'pending_review', submittedAt: new Date(), moderationNote: null });
  const after = await updateListing(tx, listingId, changes);
  await syncPublication(tx, after);
  await recordListingChange(tx, actor, {
    action: 'UPDATE',
    entityId: listingId,
    before,
    after,
    event: 'listing.updated',
    data: { listingId, changed: Object.keys(changes), moderationStatus: after.moderationStatus, backToReview },
  });
  return replyOf(after);
}

/** Audits a change of a listing — its reply before and after — and publishes the event that goes with it. */
function recordListingChange(
  tx: Tx,
  actor: Caller,
  change: { action: AuditAction; entityId: string; before: ListingRow; after: ListingRow; event: string; data: Record<string, unknown> },
): Promise<void> {
  return recordChange(tx, actor, {
    orgId: change.after.orgId,
    action: change.action,
    entityType: 'listing',
    entityId: change.entityId,
    before: replyOf(change.before),
    after: replyOf(change.after),
    event: { type: change.event, source, data: change.data },
  });
}

/** A draft never submitted is deleted; any other listing is deactivated (it has a history and a publication). */
export async function removeListing(
  tx: Tx,
  options: { access: Access; listingId: string; actor: Caller },
): Promise<'deleted' | 'deactivated'> {
  const { access, listingId, actor } = options;
  const before = await listingInScope(tx, access, listingId, { forUpdate: true });
  if (before.moderationStatus === 'draft' && before.submittedAt === null) {
    await deleteListing(tx, listingId);
    await recordChange(tx, actor, {
      orgId: before.orgId,
      action: 'DELETE',
      entityType: 'listing',
      entityId: listingId,
      before: replyOf(before),
      event: { type: 'listing.deleted', source, data: { listingId } },
    });
    return 'deleted';
  }
  await deactivateListing(tx, before, actor);
  return 'deactivated';
}

/** Takes a listing off the marketplace for good (until reactivated by PATCH isActive): its row and publication stay. */
export async function deactivateListing(tx: Tx, before: ListingRow, actor: Caller, cause?: string): Promise<void> {
  if (!before.isActive) return;
  const after = await updateListing(tx, before.id, { isActive: false });
  await syncPublication(tx, after);
  await recordListingChange(tx, actor, {
    action: 'STATUS_CHANGE',
    entityId: before.id,
    before,
    after,
    event: 'listing.deactivated',
    data: { listingId: before.id, ...(cause ? { cause } : {}) },
  });
}

export async function submitListing(tx: Tx, options: { access: Access; listingId: string; actor: Caller }): Promise<ListingReply> {
  const { access, listingId, actor } = options;
  const before = await listingInScope(tx, access, listingId, { forUpdate: true });
  if (before.moderationStatus !== 'draft' && before.moderationStatus !== 'rejected')
    throw listingErrors.raise('not_submittable', `The listing is ${before.moderationStatus}`);
  await requireInventory(tx, before);
  const after = await updateListing(tx, listingId, { moderationStatus: 'pending_review', submittedAt: new Date() });
  await syncPublication(tx, after);
  await recordListingChange(tx, actor, {
    action: 'STATUS_CHANGE',
    entityId: listingId,
    before,
    after,
    event: 'listing.submitted',
    data: { listingId },
  });
  return replyOf(after);
}

/**
 * A platform admin's decision on a listing pending review. The transaction acts for the listing's
 * organization (the caller's `withTenant` switch), so its row can be read and changed.
 */
export async function moderateListing(
  tx: Tx,
  options: { listingId: string; decision: 'approve' | 'reject'; note: string | null; reviewerId: string; actor: Caller },
): Promise<ListingReply> {
  const { listingId, decision, note, reviewerId, actor } = options;
  const before = await listingRow(tx, listingId, { forUpdate: true });
  if (!before) throw notFound(listingId);
  if (before.moderationStatus !== 'pending_review')
    throw listingErrors.raise('not_pending', `The listing is ${before.moderationStatus}, not pending review`);
  const after = await updateListing(tx, listingId, {
    moderationStatus: decision === 'approve' ? 'approved' : 'rejected',
    moderationNote: note,
    reviewedAt: new Date(),
    reviewedBy: reviewerId,
  });
  await syncPublication(tx, after);
  await recordListingChange(tx, actor, {
    action: decision === 'approve' ? 'APPROVE' : 'REJECT',
    entityId: listingId,
    before,
    after,
    event: decision === 'approve' ? 'listing.approved' : 'listing.rejected',
    data: { listingId, reviewedBy: reviewerId, ...(note === null ? {} : { note }) },
  });
  return replyOf(after);
}

/** The organization's own listing, as its staff (within their scope) see it; undefined when not theirs. */
export async function staffListing(db: Queryable, access: Pick<Access, 'scope' | 'userId'>, listingId: string) {
  const row = await listingRow(db, listingId);
  if (!row) return undefined;
  const properties = await reachableProperties(db, access);
  if (properties !== undefined && !properties.includes(row.propertyId)) return undefined;
  return detailOf(db, row, false);
}

/** An approved, active listing as anyone sees it, read in the organization the transaction acts for. */
export async function publicListing(db: Queryable, listingId: string): Promise<ListingDetailReply> {
  const row = await listingRow(db, listingId);
  if (row?.moderationStatus !== 'approved' || !row.isActive) throw notFound(listingId);
  return detailOf(db, row, true);
}

export async function listOrganizationListings(db: Queryable, access: Access, query: ListingSearchQuery) {
  const { rows, total } = await organizationListings(db, {
    propertyIds: await reachableProperties(db, access),
    moderationStatus: query.moderationStatus,
    propertyId: query.propertyId,
    isActive: query.isActive,
    q: query.q,
    ...offsetOf(query),
  });
  return { data: rows.map(replyOf), total };
}
