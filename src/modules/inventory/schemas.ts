import { z } from 'zod';
import { isValidTimeZone } from '../../platform/dates.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { isCurrency } from '../../platform/money.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

export const categories = ['residential', 'commercial', 'hospitality', 'plot'] as const;
export const Category = z.enum(categories);
export type Category = z.infer<typeof Category>;

export const housekeepingStatuses = ['clean', 'dirty', 'inspected'] as const;
export const HousekeepingStatus = z.enum(housekeepingStatuses);
export type HousekeepingStatus = z.infer<typeof HousekeepingStatus>;

export const operationalStatuses = ['in_service', 'out_of_order', 'out_of_service'] as const;
export const OperationalStatus = z.enum(operationalStatuses);
export type OperationalStatus = z.infer<typeof OperationalStatus>;

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });
/** Codes Intl names that are not countries. */
const notCountries = new Set(['ZZ', 'EU', 'EZ', 'UN', 'QO']);

const Email = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ message: 'Must be an e-mail address' }));
const Phone = z.string().regex(/^\+[1-9][0-9]{6,14}$/, { message: 'Must be an E.164 phone number, such as +14155550123' });
const text = (max: number) => z.string().trim().min(1).max(max);

const Country = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{2}$/, { message: 'Must be an ISO 3166-1 alpha-2 country code' })
  .refine((code) => !notCountries.has(code) && regionNames.of(code) !== code, { message: 'Unknown ISO 3166-1 country code' });
const Currency = z.string().trim().toUpperCase().refine(isCurrency, { message: 'Must be an ISO 4217 currency code' });
const TimeZone = z.string().trim().min(1).max(64).refine(isValidTimeZone, { message: 'Must be an IANA time zone, such as Europe/Lisbon' });
const TimeOfDay = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, { message: 'Must be a time as HH:MM' });
const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);
const Amenities = z
  .array(text(60))
  .max(100)
  .transform((items) => [...new Set(items)]);
const Image = z.strictObject({
  url: z.url({ protocol: /^https$/, message: 'Must be an https URL' }).max(2000),
  caption: z.string().trim().max(300).optional(),
});
const Images = z.array(Image).max(50);

const Bed = z.strictObject({
  type: z.string().regex(/^[a-z][a-z_]{1,29}$/, { message: 'A bed type such as king, queen, single, sofa_bed' }),
  count: z.number().int().min(1).max(20),
});
const UnitTypeCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,15}$/, { message: 'Up to 16 letters, digits, - and _, such as DLX-KING' });

/** Latitude and longitude come together or not at all. */
function coordinatesTogether(value: { latitude?: number | null; longitude?: number | null }, context: z.RefinementCtx): void {
  const { latitude, longitude } = value;
  const given = (coordinate: number | null | undefined) => coordinate !== undefined && coordinate !== null;
  if (given(latitude) === given(longitude) && (latitude === undefined) === (longitude === undefined)) return;
  const missing = given(latitude) ? 'longitude' : given(longitude) ? 'latitude' : latitude === undefined ? 'latitude' : 'longitude';
  context.addIssue({ code: 'custom', path: [missing], message: 'Latitude and longitude are given together' });
}

/** The guests a unit type takes include its adults. */
function adultsWithinOccupancy(value: { maxOccupancy?: number; maxAdults?: number }, context: z.RefinementCtx): void {
  if (value.maxOccupancy !== undefined && value.maxAdults !== undefined && value.maxAdults > value.maxOccupancy) {
    context.addIssue({ code: 'custom', path: ['maxAdults'], message: 'Cannot exceed maxOccupancy' });
  }
}

// --- owners ---------------------------------------------------------------------------------------

export const OwnerParams = z.object({ ownerId: z.uuid() });
export type OwnerParams = z.infer<typeof OwnerParams>;

export const CreateOwnerBody = z.strictObject({
  name: text(200),
  email: Email.nullish(),
  phone: Phone.nullish(),
  /** The owner's own login, when they have one: a member with the `owner` role sees only their properties. */
  userId: z.uuid().nullish(),
});
export type CreateOwnerBody = z.infer<typeof CreateOwnerBody>;

export const UpdateOwnerBody = CreateOwnerBody.partial();
export type UpdateOwnerBody = z.infer<typeof UpdateOwnerBody>;

export const OwnerListQuery = PageQuery.extend({ q: z.string().trim().min(1).max(200).optional() });
export type OwnerListQuery = z.infer<typeof OwnerListQuery>;

export const OwnerReply = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
  userId: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type OwnerReply = z.infer<typeof OwnerReply>;
export const OwnerPage = pageOf(OwnerReply);

// --- properties -----------------------------------------------------------------------------------

export const PropertyParams = z.object({ propertyId: z.uuid() });
export type PropertyParams = z.infer<typeof PropertyParams>;

const propertyFields = {
  ownerId: z.uuid().nullish(),
  name: text(200),
  category: Category,
  propertyType: z.string().regex(/^[a-z][a-z_]{1,39}$/, { message: 'A lowercase type such as hotel, apartment, villa, office' }),
  addressLine1: text(200),
  addressLine2: z.string().trim().max(200).nullish(),
  city: text(100),
  region: z.string().trim().max(100).nullish(),
  postalCode: z.string().trim().max(20).nullish(),
  country: Country,
  latitude: Latitude.nullish(),
  longitude: Longitude.nullish(),
  timeZone: TimeZone,
  currency: Currency,
  checkInTime: TimeOfDay.optional(),
  checkOutTime: TimeOfDay.optional(),
  amenities: Amenities.optional(),
  images: Images.optional(),
};

export const CreatePropertyBody = z.strictObject(propertyFields).superRefine(coordinatesTogether);
export type CreatePropertyBody = z.infer<typeof CreatePropertyBody>;

export const UpdatePropertyBody = z.strictObject(propertyFields).partial().superRefine(coordinatesTogether);
export type UpdatePropertyBody = z.infer<typeof UpdatePropertyBody>;

export const PropertyListQuery = PageQuery.extend({
  category: Category.optional(),
  city: z.string().trim().min(1).max(100).optional(),
  ownerId: z.uuid().optional(),
});
export type PropertyListQuery = z.infer<typeof PropertyListQuery>;

export const PropertyReply = z.object({
  id: z.uuid(),
  ownerId: z.uuid().nullable(),
  name: z.string(),
  category: Category,
  propertyType: z.string(),
  addressLine1: z.string(),
  addressLine2: z.string().nullable(),
  city: z.string(),
  region: z.string().nullable(),
  postalCode: z.string().nullable(),
  country: z.string(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  timeZone: z.string(),
  currency: z.string(),
  checkInTime: z.string(),
  checkOutTime: z.string(),
  amenities: z.array(z.string()),
  images: z.array(z.object({ url: z.string(), caption: z.string().optional() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type PropertyReply = z.infer<typeof PropertyReply>;
export const PropertyPage = pageOf(PropertyReply);

// --- unit types -----------------------------------------------------------------------------------

export const UnitTypeParams = z.object({ unitTypeId: z.uuid() });
export type UnitTypeParams = z.infer<typeof UnitTypeParams>;

const unitTypeFields = {
  name: text(100),
  code: UnitTypeCode,
  description: z.string().trim().max(4000).nullish(),
  maxOccupancy: z.number().int().min(1).max(100),
  maxAdults: z.number().int().min(1).max(100),
  beds: z.array(Bed).max(20).optional(),
};

export const CreateUnitTypeBody = z.strictObject(unitTypeFields).superRefine(adultsWithinOccupancy);
export type CreateUnitTypeBody = z.infer<typeof CreateUnitTypeBody>;

export const UpdateUnitTypeBody = z.strictObject(unitTypeFields).partial().superRefine(adultsWithinOccupancy);
export type UpdateUnitTypeBody = z.infer<typeof UpdateUnitTypeBody>;

export const UnitTypeListQuery = PageQuery;
export type UnitTypeListQuery = z.infer<typeof UnitTypeListQuery>;

export const UnitTypeReply = z.object({
  id: z.uuid(),
  propertyId: z.uuid(),
  name: z.string(),
  code: z.string(),
  description: z.string().nullable(),
  maxOccupancy: z.number().int(),
  maxAdults: z.number().int(),
  beds: z.array(z.object({ type: z.string(), count: z.number().int() })),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type UnitTypeReply = z.infer<typeof UnitTypeReply>;
export const UnitTypePage = pageOf(UnitTypeReply);

// --- units ----------------------------------------------------------------------------------------

export const UnitParams = z.object({ unitId: z.uuid() });
export type UnitParams = z.infer<typeof UnitParams>;

export const CreateUnitBody = z.strictObject({
  unitTypeId: z.uuid(),
  name: text(50),
  floor: z.string().trim().max(20).nullish(),
});
export type CreateUnitBody = z.infer<typeof CreateUnitBody>;

export const UpdateUnitBody = CreateUnitBody.partial();
export type UpdateUnitBody = z.infer<typeof UpdateUnitBody>;

export const UnitListQuery = PageQuery.extend({
  unitTypeId: z.uuid().optional(),
  housekeepingStatus: HousekeepingStatus.optional(),
  operationalStatus: OperationalStatus.optional(),
  floor: z.string().trim().min(1).max(20).optional(),
});
export type UnitListQuery = z.infer<typeof UnitListQuery>;

export const HousekeepingStatusBody = z.strictObject({ status: HousekeepingStatus });
export type HousekeepingStatusBody = z.infer<typeof HousekeepingStatusBody>;

export const OperationalStatusBody = z.strictObject({ status: OperationalStatus, note: z.string().trim().max(1000).nullish() });
export type OperationalStatusBody = z.infer<typeof OperationalStatusBody>;

export const UnitReply = z.object({
  id: z.uuid(),
  propertyId: z.uuid(),
  unitTypeId: z.uuid(),
  name: z.string(),
  floor: z.string().nullable(),
  housekeepingStatus: HousekeepingStatus,
  operationalStatus: OperationalStatus,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type UnitReply = z.infer<typeof UnitReply>;
export const UnitPage = pageOf(UnitReply);
