import { z } from 'zod';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

export const rentalModes = ['daily', 'monthly', 'lease'] as const;
export const RentalMode = z.enum(rentalModes);
export const cancellationPresets = ['flexible', 'moderate', 'firm', 'strict', 'non_refundable'] as const;
export const moderationStatuses = ['draft', 'pending_review', 'approved', 'rejected'] as const;
export const ModerationStatus = z.enum(moderationStatuses);
export type ModerationStatus = z.infer<typeof ModerationStatus>;
export const Furnishing = z.enum(['unfurnished', 'semi', 'full']);
export const Category = z.enum(['residential', 'commercial', 'hospitality', 'plot']);

const unique = <T>(values: T[]) => [...new Set(values)];

/** Minor units of the listing's currency (the property's). */
const Price = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Title = z.string().trim().min(1).max(200);
const Description = z.string().max(10_000);
const Modes = z.array(RentalMode).min(1).max(3).transform(unique);
const Amenities = z.array(z.string().trim().min(1).max(100)).max(100).transform(unique);
const LeaseMonths = z.number().int().min(1).max(600);
const StayMonths = z.number().int().min(1).max(60);
const NoticeDays = z.number().int().min(0).max(365);

export const Cancellation = z.union([z.strictObject({ preset: z.enum(cancellationPresets) }), z.strictObject({ policyId: z.uuid() })]);
export type Cancellation = z.infer<typeof Cancellation>;

const AutoAcceptChange = z.strictObject({ daily: z.boolean().optional(), monthly: z.boolean().optional(), lease: z.boolean().optional() });

export const ListingParams = z.object({ listingId: z.uuid() });
export type ListingParams = z.infer<typeof ListingParams>;

export const CreateListingBody = z.strictObject({
  propertyId: z.uuid(),
  /** What is rented: any unit of this type (one is assigned to each booking)… */
  unitTypeId: z.uuid(),
  /** …or this one unit of it. */
  unitId: z.uuid().nullish(),
  title: Title,
  description: Description.default(''),
  rentalModes: Modes,
  monthlyPrice: Price.nullish(),
  leaseRate: Price.nullish(),
  securityDeposit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  furnishing: Furnishing.default('unfurnished'),
  amenities: Amenities.default([]),
  minLeaseMonths: LeaseMonths.nullish(),
  maxLeaseMonths: LeaseMonths.nullish(),
  monthlyMinStayMonths: StayMonths.default(1),
  monthlyMaxStayMonths: StayMonths.nullish(),
  monthlyNoticePeriodDays: NoticeDays.default(30),
  cancellation: Cancellation.default({ preset: 'moderate' }),
  autoAccept: AutoAcceptChange.default({}),
  isActive: z.boolean().default(true),
});
export type CreateListingBody = z.infer<typeof CreateListingBody>;

/** What PATCH changes; null clears an optional term. Changing the title, description, amenities or furnishing of an approved listing sends it back to review. */
export const UpdateListingBody = z.strictObject({
  unitId: z.uuid().nullable().optional(),
  title: Title.optional(),
  description: Description.optional(),
  rentalModes: Modes.optional(),
  monthlyPrice: Price.nullable().optional(),
  leaseRate: Price.nullable().optional(),
  securityDeposit: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  furnishing: Furnishing.optional(),
  amenities: Amenities.optional(),
  minLeaseMonths: LeaseMonths.nullable().optional(),
  maxLeaseMonths: LeaseMonths.nullable().optional(),
  monthlyMinStayMonths: StayMonths.optional(),
  monthlyMaxStayMonths: StayMonths.nullable().optional(),
  monthlyNoticePeriodDays: NoticeDays.optional(),
  cancellation: Cancellation.optional(),
  autoAccept: AutoAcceptChange.optional(),
  isActive: z.boolean().optional(),
});
export type UpdateListingBody = z.infer<typeof UpdateListingBody>;

export const RejectBody = z.strictObject({ note: z.string().trim().min(1).max(2000) });
export type RejectBody = z.infer<typeof RejectBody>;

/** A comma-separated list (`?modes=daily,monthly`) or the parameter repeated. */
const ModeList = z.preprocess(
  (value) => (typeof value === 'string' ? value.split(',').map((mode) => mode.trim()) : value),
  z.array(RentalMode).min(1).max(3),
);

export const ListingSearchQuery = PageQuery.extend({
  /** `organization`: the acting organization's own listings in every status (listings:read). */
  scope: z.enum(['public', 'organization']).default('public'),
  q: z.string().trim().min(1).max(200).optional(),
  // The marketplace's filters.
  category: Category.optional(),
  /** Listings offering any of these modes. */
  modes: ModeList.optional(),
  minPrice: z.coerce.number().int().min(0).optional(),
  maxPrice: z.coerce.number().int().min(0).optional(),
  /** Which price minPrice, maxPrice and the price sorts compare: the daily "from" price, the monthly price or the lease rate. */
  priceMode: RentalMode.default('daily'),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  city: z.string().trim().min(1).max(200).optional(),
  country: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z]{2}$/)
    .optional(),
  furnishing: Furnishing.optional(),
  /** Relevance to `q` when given, otherwise the newest first. */
  sort: z.enum(['relevance', 'newest', 'price_asc', 'price_desc']).optional(),
  // The organization's own filters (scope=organization).
  moderationStatus: ModerationStatus.optional(),
  propertyId: z.uuid().optional(),
  isActive: z.stringbool().optional(),
});
export type ListingSearchQuery = z.infer<typeof ListingSearchQuery>;

export const PendingQuery = PageQuery;

const ImageReply = z.object({ url: z.string(), caption: z.string().optional() });

export const ListingReply = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  propertyId: z.uuid(),
  unitTypeId: z.uuid(),
  unitId: z.uuid().nullable(),
  title: z.string(),
  description: z.string(),
  rentalModes: z.array(RentalMode),
  currency: z.string(),
  monthlyPrice: z.number().int().nullable(),
  leaseRate: z.number().int().nullable(),
  securityDeposit: z.number().int(),
  furnishing: Furnishing,
  amenities: z.array(z.string()),
  minLeaseMonths: z.number().int().nullable(),
  maxLeaseMonths: z.number().int().nullable(),
  monthlyMinStayMonths: z.number().int(),
  monthlyMaxStayMonths: z.number().int().nullable(),
  monthlyNoticePeriodDays: z.number().int(),
  cancellation: Cancellation,
  autoAccept: z.object({ daily: z.boolean(), monthly: z.boolean(), lease: z.boolean() }),
  isActive: z.boolean(),
  moderationStatus: ModerationStatus,
  /** The reviewer's note on a rejection; shown to the organization only. */
  moderationNote: z.string().nullable(),
  submittedAt: z.iso.datetime().nullable(),
  reviewedAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type ListingReply = z.infer<typeof ListingReply>;

/** One listing with what a guest needs to decide: where, how many, from what price. */
export const ListingDetailReply = ListingReply.extend({
  property: z
    .object({
      name: z.string(),
      category: Category,
      propertyType: z.string(),
      city: z.string(),
      region: z.string().nullable(),
      country: z.string(),
      latitude: z.number().nullable(),
      longitude: z.number().nullable(),
      timeZone: z.string(),
      checkInTime: z.string(),
      checkOutTime: z.string(),
      amenities: z.array(z.string()),
      images: z.array(ImageReply),
    })
    .nullable(),
  maxOccupancy: z.number().int().nullable(),
  /** The lowest nightly price of the default rate plan, for daily stays. */
  fromPrice: z.object({ amount: z.number().int(), currency: z.string() }).nullable(),
});
export type ListingDetailReply = z.infer<typeof ListingDetailReply>;

/** A listing as the marketplace shows it, from the publication read model. */
export const PublicListing = z.object({
  id: z.uuid(),
  title: z.string(),
  description: z.string(),
  category: Category,
  propertyType: z.string(),
  rentalModes: z.array(RentalMode),
  city: z.string(),
  region: z.string().nullable(),
  country: z.string(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  currency: z.string(),
  /** The daily "from" price (the lowest nightly price), when daily stays are offered and priced. */
  dailyPrice: z.number().int().nullable(),
  monthlyPrice: z.number().int().nullable(),
  leaseRate: z.number().int().nullable(),
  securityDeposit: z.number().int(),
  furnishing: Furnishing,
  amenities: z.array(z.string()),
  maxOccupancy: z.number().int(),
  images: z.array(ImageReply),
  updatedAt: z.iso.datetime(),
});
export type PublicListing = z.infer<typeof PublicListing>;

export const PendingListing = PublicListing.extend({
  organizationId: z.uuid(),
  moderationStatus: ModerationStatus,
  submittedAt: z.iso.datetime().nullable(),
});
export type PendingListing = z.infer<typeof PendingListing>;

export const PublicListingPage = pageOf(PublicListing);
export const OrganizationListingPage = pageOf(ListingReply);
export const ListingSearchReply = z.union([PublicListingPage, OrganizationListingPage]);
export const PendingListingPage = pageOf(PendingListing);
