import { z } from 'zod';
import { weekdayKeys } from '../../platform/dates.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { isCurrency } from '../../platform/money.ts';
import { CancellationRulesSchema } from './cancellation.ts';
import { cancellationPresetNames, rentalModes } from './types.ts';

/** Request and reply schemas; each schema and its inferred type share one name. Amounts are minor units, percentages basis points. */

/** Up to ten billion minor units: a night, fee or month, with room to multiply by nights and guests safely. */
export const Amount = z.int().min(0).max(10_000_000_000);
export const Bps = z.int().min(0).max(10_000);
const DateText = z.iso.date();
const Name = z.string().trim().min(1).max(100);
const Currency = z.string().trim().toUpperCase().refine(isCurrency, { message: 'Must be an ISO 4217 currency code' });
const Code = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,15}$/, { message: 'Up to 16 letters, digits, - and _, such as BAR or NONREF' });
export const RentalMode = z.enum(rentalModes);
export const WeekdayKey = z.enum(weekdayKeys);

/** { "fri": 15000, "sat": 15000 }: a weekday's price replaces the base (or season) price on that weekday. */
const WeekdayPrices = z.strictObject({
  mon: Amount.optional(),
  tue: Amount.optional(),
  wed: Amount.optional(),
  thu: Amount.optional(),
  fri: Amount.optional(),
  sat: Amount.optional(),
  sun: Amount.optional(),
});
const WeekdayPricesReply = z.object(
  Object.fromEntries(weekdayKeys.map((key) => [key, z.number().int().optional()])) as Record<
    (typeof weekdayKeys)[number],
    z.ZodOptional<z.ZodNumber>
  >,
);

export const UnitTypeParams = z.object({ unitTypeId: z.uuid() });
export const RatePlanParams = z.object({ ratePlanId: z.uuid() });
export const SeasonParams = z.object({ seasonId: z.uuid() });
export const PropertyParams = z.object({ propertyId: z.uuid() });
export const TaxParams = z.object({ taxId: z.uuid() });
export const PolicyParams = z.object({ policyId: z.uuid() });

// --- rate plans ------------------------------------------------------------------------------------

const planPrices = {
  basePrice: Amount,
  weekdayPrices: WeekdayPrices,
  cleaningFee: Amount,
  /** Per night for each guest beyond `guestsIncluded`. */
  extraGuestFee: Amount,
  guestsIncluded: z.int().min(1).max(100),
  /** Of the nights (after discounts) and fees, before taxes. */
  serviceFeeBps: Bps,
  /** On the nights of stays of 7 nights or more. */
  weeklyDiscountBps: Bps,
  /** On the nights of stays of 28 nights or more, instead of the weekly discount. */
  monthlyDiscountBps: Bps,
};

export const CreateRatePlanBody = z.strictObject({
  name: Name,
  code: Code,
  currency: Currency,
  /** The first plan of a unit type is its default whatever this says; `true` makes this plan the default. */
  isDefault: z.boolean().optional(),
  basePrice: planPrices.basePrice,
  weekdayPrices: planPrices.weekdayPrices.default({}),
  cleaningFee: planPrices.cleaningFee.default(0),
  extraGuestFee: planPrices.extraGuestFee.default(0),
  guestsIncluded: planPrices.guestsIncluded.default(2),
  serviceFeeBps: planPrices.serviceFeeBps.default(0),
  weeklyDiscountBps: planPrices.weeklyDiscountBps.default(0),
  monthlyDiscountBps: planPrices.monthlyDiscountBps.default(0),
});
export type CreateRatePlanBody = z.infer<typeof CreateRatePlanBody>;

export const UpdateRatePlanBody = z.strictObject({
  name: Name.optional(),
  code: Code.optional(),
  /** `true` moves the default to this plan; a default plan stays one until another takes over. */
  isDefault: z.boolean().optional(),
  basePrice: planPrices.basePrice.optional(),
  /** Replaces the weekday prices as a whole; `{}` removes them. */
  weekdayPrices: planPrices.weekdayPrices.optional(),
  cleaningFee: planPrices.cleaningFee.optional(),
  extraGuestFee: planPrices.extraGuestFee.optional(),
  guestsIncluded: planPrices.guestsIncluded.optional(),
  serviceFeeBps: planPrices.serviceFeeBps.optional(),
  weeklyDiscountBps: planPrices.weeklyDiscountBps.optional(),
  monthlyDiscountBps: planPrices.monthlyDiscountBps.optional(),
});
export type UpdateRatePlanBody = z.infer<typeof UpdateRatePlanBody>;

export const RatePlanReply = z.object({
  id: z.uuid(),
  propertyId: z.uuid(),
  unitTypeId: z.uuid(),
  name: z.string(),
  code: z.string(),
  isDefault: z.boolean(),
  currency: z.string(),
  basePrice: z.number().int(),
  weekdayPrices: WeekdayPricesReply,
  cleaningFee: z.number().int(),
  extraGuestFee: z.number().int(),
  guestsIncluded: z.number().int(),
  serviceFeeBps: z.number().int(),
  weeklyDiscountBps: z.number().int(),
  monthlyDiscountBps: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type RatePlanReply = z.infer<typeof RatePlanReply>;
export const RatePlanPage = pageOf(RatePlanReply);

// --- seasons ---------------------------------------------------------------------------------------

export const CreateSeasonBody = z.strictObject({
  name: Name,
  /** The first night. */
  from: DateText,
  /** The day after the last night (exclusive). */
  to: DateText,
  price: Amount,
  weekdayPrices: WeekdayPrices.default({}),
});
export type CreateSeasonBody = z.infer<typeof CreateSeasonBody>;

export const SeasonReply = z.object({
  id: z.uuid(),
  ratePlanId: z.uuid(),
  name: z.string(),
  from: z.string(),
  to: z.string(),
  price: z.number().int(),
  weekdayPrices: WeekdayPricesReply,
  createdAt: z.iso.datetime(),
});
export type SeasonReply = z.infer<typeof SeasonReply>;
export const SeasonPage = pageOf(SeasonReply);

// --- nights ----------------------------------------------------------------------------------------

const StayLength = z.int().min(1).max(365);
export const nightFields = ['price', 'minStay', 'maxStay', 'closedToArrival', 'closedToDeparture', 'stopSell'] as const;

/** Bulk changes to nights: an omitted field is left as it is, `null` clears it. */
export const UpdateNightsBody = z
  .strictObject({
    from: DateText,
    /** Exclusive; at most 731 nights after `from`. */
    to: DateText,
    /** Only the nights on these weekdays; every night when omitted. */
    weekdays: z
      .array(WeekdayKey)
      .min(1)
      .max(7)
      .refine((days) => new Set(days).size === days.length, { message: 'Each weekday once' })
      .optional(),
    price: Amount.nullable().optional(),
    minStay: StayLength.nullable().optional(),
    maxStay: StayLength.nullable().optional(),
    closedToArrival: z.boolean().nullable().optional(),
    closedToDeparture: z.boolean().nullable().optional(),
    stopSell: z.boolean().nullable().optional(),
  })
  .refine((body) => nightFields.some((field) => body[field] !== undefined), { message: 'Set at least one field of the nights' })
  .refine((body) => typeof body.minStay !== 'number' || typeof body.maxStay !== 'number' || body.minStay <= body.maxStay, {
    message: 'minStay is at most maxStay',
    path: ['minStay'],
  });
export type UpdateNightsBody = z.infer<typeof UpdateNightsBody>;

/** Default: 31 nights from today in the property's time zone (or from `from`). */
export const NightsQuery = z.object({ from: DateText.optional(), to: DateText.optional() });
export type NightsQuery = z.infer<typeof NightsQuery>;

export const RateNightReply = z.object({
  night: z.string(),
  price: z.number().int(),
  currency: z.string(),
  minStay: z.number().int().nullable(),
  maxStay: z.number().int().nullable(),
  closedToArrival: z.boolean(),
  closedToDeparture: z.boolean(),
  stopSell: z.boolean(),
});
export const NightsReply = z.object({ ratePlanId: z.uuid(), data: z.array(RateNightReply) });
export type NightsReply = z.infer<typeof NightsReply>;

// --- taxes -----------------------------------------------------------------------------------------

export const TaxKind = z.enum(['percentage', 'per_night', 'per_person_per_night']);

export const CreateTaxBody = z.strictObject({
  name: Name,
  kind: TaxKind,
  /** Percentage taxes only. */
  rateBps: Bps.optional(),
  /** Per-night and per-person taxes only: minor units of `currency`. */
  amount: Amount.optional(),
  /** Per-night and per-person taxes only; the property's currency, which it defaults to. */
  currency: Currency.optional(),
  /** Percentage taxes only: already inside the prices, shown but not added. */
  inclusive: z.boolean().optional(),
  /** A percentage tax on the fees as well as the nights (default true). */
  appliesToFees: z.boolean().optional(),
  /** Default: every mode the kind applies to (per-night: daily and monthly; per-person: daily). */
  rentalModes: z.array(RentalMode).min(1).max(3).optional(),
});
export type CreateTaxBody = z.infer<typeof CreateTaxBody>;

export const UpdateTaxBody = z.strictObject({
  name: Name.optional(),
  kind: TaxKind.optional(),
  rateBps: Bps.nullable().optional(),
  amount: Amount.nullable().optional(),
  currency: Currency.nullable().optional(),
  inclusive: z.boolean().optional(),
  appliesToFees: z.boolean().optional(),
  rentalModes: z.array(RentalMode).min(1).max(3).optional(),
});
export type UpdateTaxBody = z.infer<typeof UpdateTaxBody>;

export const TaxReply = z.object({
  id: z.uuid(),
  propertyId: z.uuid(),
  name: z.string(),
  kind: TaxKind,
  rateBps: z.number().int().nullable(),
  amount: z.number().int().nullable(),
  currency: z.string().nullable(),
  inclusive: z.boolean(),
  appliesToFees: z.boolean(),
  rentalModes: z.array(RentalMode),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type TaxReply = z.infer<typeof TaxReply>;
export const TaxPage = pageOf(TaxReply);

// --- cancellation policies -------------------------------------------------------------------------

const WindowReply = z.object({ beforeCheckInHours: z.number().int(), refundNightsBps: z.number().int(), refundFeesBps: z.number().int() });
export const RulesReply = z.object({ daily: z.array(WindowReply), monthly: z.array(WindowReply), lease: z.array(WindowReply) });

export const CreatePolicyBody = z.strictObject({ name: Name, rules: CancellationRulesSchema });
export type CreatePolicyBody = z.infer<typeof CreatePolicyBody>;

export const UpdatePolicyBody = z.strictObject({ name: Name.optional(), rules: CancellationRulesSchema.optional() });
export type UpdatePolicyBody = z.infer<typeof UpdatePolicyBody>;

export const PolicyReply = z.object({
  id: z.uuid(),
  name: z.string(),
  rules: RulesReply,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type PolicyReply = z.infer<typeof PolicyReply>;
export const PolicyPage = pageOf(PolicyReply);

export const PresetListReply = z.object({
  data: z.array(z.object({ name: z.enum(cancellationPresetNames), description: z.string(), rules: RulesReply })),
});

export { PageQuery };
