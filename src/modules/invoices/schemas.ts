import { z } from 'zod';
import { isDate } from '../../platform/dates.ts';
import { PageQuery, pageOf } from '../../platform/http/pagination.ts';
import { isCurrency } from '../../platform/money.ts';
import { maxQuantity, thousandthsOf } from './amounts.ts';

/** Request and reply schemas; each schema and its inferred type share one name. */

const DateText = z.string().refine(isDate, 'Must be a date, YYYY-MM-DD');
const Currency = z.string().refine(isCurrency, 'Must be an ISO 4217 currency code, such as EUR');

export const invoiceStatuses = ['issued', 'paid', 'void'] as const;
export const InvoiceStatus = z.enum(invoiceStatuses);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

export const invoiceLineKinds = ['night', 'month', 'deposit', 'fee', 'discount', 'tax', 'charge'] as const;
export type InvoiceLineKind = (typeof invoiceLineKinds)[number];

/** Far beyond any real invoice, and twice it (a 100% tax) still an exact integer in JavaScript. */
const maxInvoiceTotal = 1_000_000_000_000_000;

const ChargeLine = z.strictObject({
  description: z.string().trim().min(1).max(500),
  /** Up to 3 decimal places: 2.5 hours, 1.125 m³. */
  quantity: z
    .number()
    .positive()
    .max(maxQuantity)
    .refine((quantity) => thousandthsOf(quantity) !== undefined, 'At most 3 decimal places'),
  /** Minor units of the invoice's currency. */
  unitAmount: z.number().int().min(0).max(1_000_000_000_000),
  /** Rental income (charge) or fee income (fee) in the ledger. */
  kind: z.enum(['charge', 'fee']).default('charge'),
});

export const CreateInvoiceBody = z.strictObject({
  customerId: z.uuid(),
  currency: Currency,
  lines: z
    .array(ChargeLine)
    .min(1)
    .max(100)
    .refine(
      (lines) => lines.reduce((total, line) => total + line.quantity * line.unitAmount, 0) <= maxInvoiceTotal,
      'The invoice total is too large',
    ),
  /** Tax on the subtotal, in basis points (20% = 2000); computed once, on the subtotal. */
  taxRateBps: z.number().int().min(0).max(10_000).optional(),
  /** The prices already contain the tax: it is shown and not added. */
  taxInclusive: z.boolean().default(false),
  /** The issue date plus 14 days unless given. */
  dueDate: DateText.optional(),
  notes: z.string().trim().max(2000).optional(),
  /** The property the charge is for: the invoice's seller, and its owner may read it. */
  propertyId: z.uuid().optional(),
});
export type CreateInvoiceBody = z.infer<typeof CreateInvoiceBody>;

export const VoidBody = z.strictObject({ reason: z.string().trim().min(1).max(1000) });
export type VoidBody = z.infer<typeof VoidBody>;

export const InvoiceParams = z.object({ invoiceId: z.uuid() });
export type InvoiceParams = z.infer<typeof InvoiceParams>;

export const InvoiceListQuery = PageQuery.extend({
  status: InvoiceStatus.optional(),
  customerId: z.uuid().optional(),
  bookingId: z.uuid().optional(),
  /** Issued on or after this date. */
  from: DateText.optional(),
  /** Issued on or before this date. */
  to: DateText.optional(),
});
export type InvoiceListQuery = z.infer<typeof InvoiceListQuery>;

export const BillTo = z.object({
  customerId: z.uuid(),
  name: z.string(),
  email: z.string().nullable(),
  phone: z.string().nullable(),
});
export type BillTo = z.infer<typeof BillTo>;

export const Seller = z.object({
  organizationId: z.uuid(),
  propertyId: z.uuid().nullable(),
  name: z.string().nullable(),
  city: z.string().nullable(),
  region: z.string().nullable(),
  country: z.string().nullable(),
});
export type Seller = z.infer<typeof Seller>;

export const InvoiceLineReply = z.object({
  position: z.number().int(),
  kind: z.enum(invoiceLineKinds),
  description: z.string(),
  /** A decimal number with up to 3 places. */
  quantity: z.number(),
  unitAmount: z.number().int(),
  amount: z.number().int(),
  /** An inclusive tax: shown, not added to the total. */
  included: z.boolean(),
});
export type InvoiceLineReply = z.infer<typeof InvoiceLineReply>;

const Instant = z.iso.datetime();

export const InvoiceSummary = z.object({
  id: z.uuid(),
  number: z.string(),
  kind: z.enum(['booking', 'charge']),
  status: InvoiceStatus,
  bookingId: z.uuid().nullable(),
  customerId: z.uuid(),
  currency: z.string(),
  /** Every line that is not a tax. */
  subtotal: z.number().int(),
  /** The taxes added to the subtotal. */
  taxTotal: z.number().int(),
  /** The taxes the prices already contain (shown, not added). */
  includedTax: z.number().int(),
  total: z.number().int(),
  amountPaid: z.number().int(),
  amountDue: z.number().int(),
  issueDate: z.string(),
  dueDate: z.string(),
  billTo: BillTo,
  seller: Seller,
  notes: z.string().nullable(),
  ledgerEntryId: z.uuid().nullable(),
  voidReason: z.string().nullable(),
  paidAt: Instant.nullable(),
  voidedAt: Instant.nullable(),
  createdAt: Instant,
  updatedAt: Instant,
});
export type InvoiceSummary = z.infer<typeof InvoiceSummary>;

export const InvoiceDetail = InvoiceSummary.extend({ lines: z.array(InvoiceLineReply) });
export type InvoiceDetail = z.infer<typeof InvoiceDetail>;

export const InvoicePage = pageOf(InvoiceSummary);
