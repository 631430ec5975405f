import { z } from 'zod';
import { isDate } from '../../platform/dates.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { bookingStatuses } from './state-machine.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

const DateText = z.string().refine(isDate, 'Must be a date, YYYY-MM-DD');
const MonthText = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'Must be a month, YYYY-MM');
const Adults = z.number().int().min(1).max(100);
const Children = z.number().int().min(0).max(100);
const Note = z.string().trim().max(2000);

export const Guarantee = z.enum(['online_payment', 'pay_at_property']);
export type Guarantee = z.infer<typeof Guarantee>;
export const BookingSource = z.enum(['marketplace', 'direct', 'front_desk', 'phone', 'walk_in', 'channel']);
export type BookingSource = z.infer<typeof BookingSource>;
export const RentalModeSchema = z.enum(['daily', 'monthly', 'lease']);

const CancellationChoice = z.union([
  z.strictObject({ preset: z.enum(['flexible', 'moderate', 'firm', 'strict', 'non_refundable']) }),
  z.strictObject({ policyId: z.uuid() }),
]);

/** A customer made in the booking's transaction (walk-in, phone); the customers module checks the details. */
const NewCustomerBody = z.strictObject({
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  email: z.string().max(254).nullish(),
  phone: z.string().max(40).nullish(),
  dateOfBirth: z.string().max(10).nullish(),
  nationality: z.string().max(2).nullish(),
  notes: z.string().max(4000).nullish(),
});

/** What only staff of the organization may set: who the customer is, how the stay is guaranteed, where it came from. */
const StaffFields = {
  customerId: z.uuid().optional(),
  customer: NewCustomerBody.optional(),
  guarantee: Guarantee.optional(),
  source: BookingSource.exclude(['marketplace']).optional(),
  unitId: z.uuid().optional(),
  /** A message for the host, or staff's notes. */
  notes: z.string().max(4000).optional(),
};

const DailyFields = {
  rentalMode: z.literal('daily'),
  /** A listing, or (staff) a unit type of the organization with an optional unit and rate plan. */
  listingId: z.uuid().optional(),
  unitTypeId: z.uuid().optional(),
  ratePlanId: z.uuid().optional(),
  checkIn: DateText,
  checkOut: DateText,
  adults: Adults.default(1),
  children: Children.default(0),
};

const MonthlyFields = {
  rentalMode: z.literal('monthly'),
  listingId: z.uuid(),
  /** The first month (from its 1st), or the first day. */
  startMonth: MonthText.optional(),
  startDate: DateText.optional(),
  months: z.number().int().min(1).max(60),
  autoRenew: z.boolean().default(false),
  adults: Adults.default(1),
  children: Children.default(0),
};

const LeaseFields = {
  rentalMode: z.literal('lease'),
  listingId: z.uuid(),
  startDate: DateText,
  termMonths: z.number().int().min(1).max(600),
  adults: Adults.default(1),
  children: Children.default(0),
};

export const CreateBookingBody = z.discriminatedUnion('rentalMode', [
  z.strictObject({ ...DailyFields, ...StaffFields, cancellation: CancellationChoice.optional() }),
  z.strictObject({ ...MonthlyFields, ...StaffFields }),
  z.strictObject({ ...LeaseFields, ...StaffFields }),
]);
export type CreateBookingBody = z.infer<typeof CreateBookingBody>;

export const QuoteBody = z.discriminatedUnion('rentalMode', [
  z.strictObject(DailyFields),
  z.strictObject({ ...MonthlyFields, autoRenew: z.boolean().optional() }),
  z.strictObject(LeaseFields),
]);
export type QuoteBody = z.infer<typeof QuoteBody>;

export const BookingParams = z.object({ bookingId: z.uuid() });
export type BookingParams = z.infer<typeof BookingParams>;

export const CustomerParams = z.object({ customerId: z.uuid() });
export type CustomerParams = z.infer<typeof CustomerParams>;

export const NoteBody = z.strictObject({ note: Note.optional() }).nullish();
export type NoteBody = z.infer<typeof NoteBody>;

export const DeclineBody = z.strictObject({ reason: Note.optional() }).nullish();
export type DeclineBody = z.infer<typeof DeclineBody>;

/** Why a booking is cancelled; `timeout` and `merged` are the system's own. */
export const CancelReason = z.enum(['customer_request', 'staff', 'owner', 'policy']);
export type CancelReason = z.infer<typeof CancelReason>;

export const CancelBody = z.strictObject({ reason: CancelReason.optional(), note: Note.optional() }).nullish();
export type CancelBody = z.infer<typeof CancelBody>;

export const ChangeBookingBody = z.strictObject({
  checkIn: DateText.optional(),
  checkOut: DateText.optional(),
  /** Monthly stays and leases: a new first day, number of months or term. */
  startDate: DateText.optional(),
  months: z.number().int().min(1).max(60).optional(),
  termMonths: z.number().int().min(1).max(600).optional(),
  adults: Adults.optional(),
  children: Children.optional(),
  notes: z.string().max(4000).nullable().optional(),
  /** The version last read: a booking changed since then is not overwritten (409). */
  version: z.number().int().min(1).optional(),
});
export type ChangeBookingBody = z.infer<typeof ChangeBookingBody>;

export const MoveBookingBody = z.strictObject({
  unitId: z.uuid(),
  /** To move into a unit of another type, name that type: the stay is priced again. */
  unitTypeId: z.uuid().optional(),
  version: z.number().int().min(1).optional(),
});
export type MoveBookingBody = z.infer<typeof MoveBookingBody>;

export const BookingStatusSchema = z.enum(bookingStatuses);

export const BookingListQuery = PageQuery.extend({
  /** `seeker`: the caller's own bookings as a customer; `owner` (default): the organization's, within the caller's scope. */
  role: z.enum(['seeker', 'owner']).default('owner'),
  status: BookingStatusSchema.optional(),
  propertyId: z.uuid().optional(),
  customerId: z.uuid().optional(),
  /** Stays overlapping [from, to). */
  from: DateText.optional(),
  to: DateText.optional(),
});
export type BookingListQuery = z.infer<typeof BookingListQuery>;

export const HistoryQuery = PageQuery;
export type HistoryQuery = z.infer<typeof HistoryQuery>;

const QuoteLineSchema = z.object({
  kind: z.enum(['night', 'month', 'deposit', 'fee', 'discount', 'tax']),
  code: z.string(),
  description: z.string(),
  date: z.string().optional(),
  quantity: z.number().optional(),
  unitAmount: z.number().optional(),
  amount: z.number().int(),
  included: z.boolean().optional(),
});

export const QuoteReply = z.object({
  rentalMode: RentalModeSchema,
  currency: z.string(),
  checkIn: z.string(),
  checkOut: z.string(),
  nights: z.number().int().optional(),
  months: z.number().int().optional(),
  ratePlanId: z.string().optional(),
  lines: z.array(QuoteLineSchema),
  totals: z.object({
    accommodation: z.number().int(),
    fees: z.number().int(),
    discounts: z.number().int(),
    taxes: z.number().int(),
    includedTaxes: z.number().int(),
    deposit: z.number().int(),
    total: z.number().int(),
  }),
});
export type QuoteReply = z.infer<typeof QuoteReply>;

const Instant = z.iso.datetime();

export const BookingSummary = z.object({
  id: z.uuid(),
  /** The organization the booking was made in (the listing's). */
  organizationId: z.uuid(),
  reference: z.string(),
  status: BookingStatusSchema,
  rentalMode: RentalModeSchema,
  listingId: z.uuid().nullable(),
  propertyId: z.uuid(),
  unitTypeId: z.uuid(),
  unitId: z.uuid(),
  ratePlanId: z.uuid().nullable(),
  customerId: z.uuid(),
  checkIn: z.string(),
  checkOut: z.string(),
  months: z.number().int().nullable(),
  leaseTermMonths: z.number().int().nullable(),
  autoRenew: z.boolean(),
  adults: z.number().int(),
  children: z.number().int(),
  guarantee: Guarantee,
  source: BookingSource,
  currency: z.string(),
  totalAmount: z.number().int(),
  holdExpiresAt: Instant.nullable(),
  notes: z.string().nullable(),
  approvalNote: z.string().nullable(),
  declineReason: z.string().nullable(),
  cancellationReason: z.string().nullable(),
  cancellationNote: z.string().nullable(),
  refundAmount: z.number().int().nullable(),
  approvedAt: Instant.nullable(),
  confirmedAt: Instant.nullable(),
  checkedInAt: Instant.nullable(),
  checkedOutAt: Instant.nullable(),
  completedAt: Instant.nullable(),
  cancelledAt: Instant.nullable(),
  createdAt: Instant,
  updatedAt: Instant,
  version: z.number().int(),
  /** Where a client app shows this booking: the request while pending, the confirmation once confirmed, the history otherwise. */
  deepLink: z.string(),
});
export type BookingSummary = z.infer<typeof BookingSummary>;

export const BookingEventReply = z.object({
  id: z.uuid(),
  type: z.string(),
  fromStatus: BookingStatusSchema.nullable(),
  toStatus: BookingStatusSchema.nullable(),
  actorType: z.enum(['user', 'system']),
  actorId: z.uuid().nullable(),
  data: z.record(z.string(), z.unknown()),
  occurredAt: Instant,
});
export type BookingEventReply = z.infer<typeof BookingEventReply>;

export const BookingDetail = BookingSummary.extend({
  priceBreakdown: QuoteReply,
  cancellationPolicy: z.record(z.string(), z.unknown()),
  events: z.array(BookingEventReply),
});
export type BookingDetail = z.infer<typeof BookingDetail>;

export const BookingPage = pageOf(BookingSummary);

export const CancellationPreviewReply = z.object({
  bookingId: z.uuid(),
  status: BookingStatusSchema,
  currency: z.string(),
  total: z.number().int(),
  refund: z.number().int(),
  penalty: z.number().int(),
  /** When the stay starts: the check-in date at the property's check-in time. */
  checkInAt: Instant,
  window: z.object({ beforeCheckInHours: z.number(), refundNightsBps: z.number().int(), refundFeesBps: z.number().int() }).nullable(),
  lines: z.array(QuoteLineSchema),
  policy: z.record(z.string(), z.unknown()),
});
export type CancellationPreviewReply = z.infer<typeof CancellationPreviewReply>;
