import { z } from 'zod';
import { pageOf, PageQuery } from '../../platform/http/pagination.ts';
import { bankRails, paymentMethods } from './providers/port.ts';
import { paymentStatuses, transferStatuses } from './state-machine.ts';

const Instant = z.iso.datetime();
const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD');
const MinorUnits = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, '1 to 255 printable ASCII characters without spaces');
const Phone = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'E.164, such as +254712345678');
const Metadata = z.record(z.string().max(40), z.string().max(500)).refine((value) => Object.keys(value).length <= 20, 'at most 20 keys');

export const PaymentPurpose = z.enum(['booking', 'deposit', 'invoice', 'lease_charge', 'other']);
export const PaymentMethod = z.enum(paymentMethods);
export const BankRail = z.enum(bankRails);
export const PaymentStatus = z.enum(paymentStatuses);

export const CreatePaymentBody = z.strictObject({
  idempotencyKey: IdempotencyKey.optional(),
  purpose: PaymentPurpose,
  bookingId: z.uuid().optional(),
  invoiceId: z.uuid().optional(),
  leaseId: z.uuid().optional(),
  payerCustomerId: z.uuid().optional(),
  payeeOwnerId: z.uuid().optional(),
  amount: MinorUnits.optional(),
  currency: Currency.optional(),
  method: PaymentMethod,
  rail: BankRail.optional(),
  payerBankAccountId: z.uuid().optional(),
  payerPhone: Phone.optional(),
  /** A card payment method collected by the client (Stripe `pm_…`), confirmed at once. */
  paymentMethodToken: z.string().min(1).max(255).optional(),
  /** Cash and cheques: the receipt given to the payer. */
  receiptNumber: z.string().min(1).max(100).optional(),
  description: z.string().max(500).optional(),
  metadata: Metadata.optional(),
});
export type CreatePaymentBody = z.infer<typeof CreatePaymentBody>;

export const PaymentIntentBody = z.strictObject({
  idempotencyKey: IdempotencyKey.optional(),
  bookingId: z.uuid(),
  method: z.enum(['card', 'mobile_money', 'bank_transfer']).default('card'),
  rail: BankRail.optional(),
  payerBankAccountId: z.uuid().optional(),
  payerPhone: Phone.optional(),
  paymentMethodToken: z.string().min(1).max(255).optional(),
});

export const PaymentReply = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  purpose: PaymentPurpose,
  bookingId: z.uuid().nullable(),
  invoiceId: z.uuid().nullable(),
  leaseId: z.uuid().nullable(),
  payerCustomerId: z.uuid().nullable(),
  payeeOwnerId: z.uuid().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  method: PaymentMethod,
  rail: BankRail.nullable(),
  provider: z.string(),
  providerReference: z.string().nullable(),
  status: PaymentStatus,
  failureCode: z.string().nullable(),
  failureReason: z.string().nullable(),
  retryCount: z.number().int(),
  receiptNumber: z.string().nullable(),
  payerBankAccountId: z.uuid().nullable(),
  payerPhone: z.string().nullable(),
  /** What the client must do to complete the payment, while it must. */
  clientAction: z.record(z.string(), z.unknown()).nullable(),
  escrowStatus: z.enum(['none', 'held', 'released', 'refunded']),
  escrowReleaseDueAt: Instant.nullable(),
  refundedAmount: z.number().int(),
  /** Set when someone should look: `booking_not_confirmable` (paid after the booking lapsed: refunded), `duplicate_booking_payment`. */
  attention: z.string().nullable(),
  description: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  idempotencyKey: z.string().nullable(),
  /** For bank transfers: when the rail settles it (ET cut-offs, banking days). */
  expectedSettlementAt: Instant.nullable(),
  succeededAt: Instant.nullable(),
  createdAt: Instant,
  updatedAt: Instant,
  version: z.number().int(),
});
export const PaymentPage = pageOf(PaymentReply);

export const PaymentParams = z.object({ paymentId: z.uuid() });

export const PaymentListQuery = PageQuery.extend({
  bookingId: z.uuid().optional(),
  invoiceId: z.uuid().optional(),
  leaseId: z.uuid().optional(),
  payerCustomerId: z.uuid().optional(),
  status: PaymentStatus.optional(),
});

export const PaymentEventReply = z.object({
  id: z.uuid(),
  sequence: z.number().int(),
  type: z.string(),
  fromStatus: PaymentStatus.nullable(),
  toStatus: PaymentStatus,
  actor: z.object({ type: z.enum(['user', 'system', 'provider']), id: z.string().nullable() }),
  reason: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  snapshot: z.record(z.string(), z.unknown()),
  correlationId: z.string().nullable(),
  occurredAt: Instant,
});
export const PaymentHistoryReply = z.object({
  paymentId: z.uuid(),
  events: z.array(PaymentEventReply),
  /** The payment as its events alone rebuild it. */
  replayed: z.record(z.string(), z.unknown()),
});

export const RefundReason = z.enum(['requested_by_customer', 'duplicate', 'fraudulent', 'other']);
export const CreateRefundBody = z.strictObject({
  /** Minor units; the whole remaining amount when left out. */
  amount: MinorUnits.optional(),
  reason: RefundReason.default('requested_by_customer'),
  note: z.string().max(1000).optional(),
});
export const RefundReply = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  paymentId: z.uuid(),
  bookingId: z.uuid().nullable(),
  amount: z.number().int(),
  currency: z.string(),
  reason: z.string(),
  note: z.string().nullable(),
  status: z.enum(transferStatuses),
  provider: z.string(),
  providerReference: z.string().nullable(),
  failureReason: z.string().nullable(),
  createdAt: Instant,
  updatedAt: Instant,
  settledAt: Instant.nullable(),
});
export const RefundList = z.object({ data: z.array(RefundReply) });
export const RefundParams = z.object({ refundId: z.uuid() });

export const CreatePayoutBody = z.strictObject({
  idempotencyKey: IdempotencyKey.optional(),
  /** Staff name the owner; an owner member withdraws their own. */
  ownerId: z.uuid().optional(),
  amount: MinorUnits,
  currency: Currency,
  bankAccountId: z.uuid().optional(),
  mpesaPhone: Phone.optional(),
  rail: BankRail.optional(),
  note: z.string().max(500).optional(),
});
export const PayoutReply = z.object({
  id: z.uuid(),
  organizationId: z.uuid(),
  ownerId: z.uuid(),
  amount: z.number().int(),
  currency: z.string(),
  destinationType: z.enum(['bank_account', 'mpesa']),
  bankAccountId: z.uuid().nullable(),
  phone: z.string().nullable(),
  rail: BankRail.nullable(),
  provider: z.string(),
  providerReference: z.string().nullable(),
  status: z.enum(transferStatuses),
  failureCode: z.string().nullable(),
  failureReason: z.string().nullable(),
  note: z.string().nullable(),
  requestedBy: z.uuid().nullable(),
  createdAt: Instant,
  updatedAt: Instant,
  settledAt: Instant.nullable(),
});
export const PayoutPage = pageOf(PayoutReply);
export const PayoutParams = z.object({ payoutId: z.uuid() });
export const PayoutListQuery = PageQuery.extend({ ownerId: z.uuid().optional(), status: z.enum(transferStatuses).optional() });

export const WalletQuery = z.object({ ownerId: z.uuid().optional() });
export const WalletReply = z.object({
  ownerId: z.uuid(),
  balances: z.array(
    z.object({
      currency: z.string(),
      /** What the owner may withdraw now. */
      available: z.number().int(),
      /** Booking money in escrow, released after check-in. */
      pending: z.number().int(),
      /** Payouts requested and not yet paid. */
      inTransit: z.number().int(),
    }),
  ),
});
export const TransactionsQuery = PageQuery.extend({ ownerId: z.uuid().optional() });
export const TransactionReply = z.object({
  id: z.uuid(),
  entryId: z.uuid(),
  type: z.enum(['booking_payment', 'escrow_release', 'refund', 'refund_reversal', 'payout', 'payout_reversal', 'return', 'adjustment']),
  /** Which of the owner's balances moved. */
  balance: z.enum(['available', 'pending', 'in_transit']),
  /** Positive when the balance grew. */
  amount: z.number().int(),
  currency: z.string(),
  description: z.string(),
  sourceType: z.string(),
  sourceId: z.uuid(),
  occurredAt: Instant,
});
export const TransactionPage = pageOf(TransactionReply);

export const PaymentSettingsBody = z.strictObject({
  /** Basis points of booking revenue kept when escrow is released (1000 = 10 %). */
  commissionBps: z.number().int().min(0).max(10_000),
  /** Hours after check-in before escrow is released. */
  escrowReleaseGraceHours: z.number().int().min(0).max(2160),
});
export const PaymentSettingsReply = PaymentSettingsBody.extend({
  /** False while the organization uses the installation's defaults. */
  own: z.boolean(),
});

export const WebhookParams = z.object({ provider: z.string().regex(/^[a-z0-9_-]{1,40}$/) });
export const WebhookReply = z.object({
  received: z.number().int(),
  applied: z.number().int(),
  duplicates: z.number().int(),
  unmatched: z.number().int(),
});
