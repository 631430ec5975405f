import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { todayIn } from '../../platform/dates.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { type BookingFacts, bookingFacts } from '../bookings/index.ts';
import { type CustomerFacts, customerFacts } from '../customers/index.ts';
import { type PropertyFacts, propertyFacts } from '../inventory/index.ts';
import { type PostingLine, postEntry } from '../ledger/index.ts';
import { chargeIncome, type DraftInvoice, draftBooking, draftCharges, quantityText } from './amounts.ts';
import { invoiceErrors } from './errors.ts';
import type { BillTo, CreateInvoiceBody, InvoiceDetail, Seller } from './schemas.ts';
import {
  actingOrganization,
  insertInvoice,
  insertLines,
  type InvoiceLineRow,
  type InvoiceRow,
  linesOf,
  liveInvoiceOfBooking,
  lockBookingInvoicing,
  takeInvoiceNumber,
  updateInvoice,
} from './store.ts';
import { detailOf, eventDataOf } from './views.ts';

export const source = 'invoices';

/** The number printed on an invoice: INV-000042 (six digits at least). */
export function invoiceNumber(sequenceNumber: number): string {
  return `INV-${String(sequenceNumber).padStart(6, '0')}`;
}

/** A charge falls due this long after its issue unless a due date is given. */
const chargeTermDays = 14;

interface NewInvoice {
  orgId: string;
  kind: 'booking' | 'charge';
  bookingId: string | null;
  customerId: string;
  currency: string;
  draft: DraftInvoice;
  issueDate: string;
  dueDate: string;
  billTo: BillTo;
  seller: Seller;
  notes: string | null;
}

/**
 * Writes an issued invoice and its lines under the organization's next number, which stays taken
 * only if the caller's transaction commits.
 */
async function insertIssued(tx: Tx, caller: Caller, invoice: NewInvoice): Promise<{ row: InvoiceRow; lines: InvoiceLineRow[] }> {
  const sequenceNumber = await takeInvoiceNumber(tx, invoice.orgId);
  const { draft } = invoice;
  const row = await insertInvoice(tx, {
    id: uuidv7(),
    orgId: invoice.orgId,
    sequenceNumber,
    number: invoiceNumber(sequenceNumber),
    kind: invoice.kind,
    bookingId: invoice.bookingId,
    customerId: invoice.customerId,
    status: 'issued',
    currency: invoice.currency,
    subtotal: draft.subtotal,
    taxTotal: draft.taxTotal,
    total: draft.total,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
    billTo: JSON.stringify(invoice.billTo),
    seller: JSON.stringify(invoice.seller),
    notes: invoice.notes,
    createdBy: caller.userId,
  });
  const lines = await insertLines(
    tx,
    draft.lines.map((line, index) => ({
      id: uuidv7(),
      orgId: invoice.orgId,
      invoiceId: row.id,
      position: index + 1,
      kind: line.kind,
      description: line.description,
      quantity: quantityText(line.quantityThousandths),
      unitAmount: line.unitAmount,
      amount: line.amount,
      included: line.included,
    })),
  );
  return { row, lines };
}

async function recordIssue(tx: Tx, caller: Caller, row: InvoiceRow, lines: InvoiceLineRow[]): Promise<InvoiceDetail> {
  const detail = detailOf(row, lines);
  await recordChange(tx, caller, {
    orgId: row.orgId,
    action: 'CREATE',
    entityType: 'invoice',
    entityId: row.id,
    after: detail,
    event: { type: 'invoice.issued', source, data: eventDataOf(row) },
  });
  return detail;
}

/** The customer billed: a record merged away bills the one it was merged into. */
async function billedCustomer(db: Queryable, customerId: string): Promise<CustomerFacts> {
  let customer = await customerFacts(db, customerId);
  for (let hops = 0; customer?.mergedIntoId && hops < 10; hops++) customer = await customerFacts(db, customer.mergedIntoId);
  if (!customer) throw invoiceErrors.raise('customer_not_found', `No customer ${customerId} here`);
  return customer;
}

function billToOf(customer: CustomerFacts): BillTo {
  return {
    customerId: customer.id,
    name: `${customer.firstName} ${customer.lastName}`.trim(),
    email: customer.email,
    phone: customer.phone,
  };
}

function sellerOf(orgId: string, property: PropertyFacts | undefined): Seller {
  return {
    organizationId: orgId,
    propertyId: property?.id ?? null,
    name: property?.name ?? null,
    city: property?.city ?? null,
    region: property?.region ?? null,
    country: property?.country ?? null,
  };
}

/**
 * POST /v1/invoices: a charge to a customer, issued under the next number and posted to the ledger
 * in the same transaction — the customer's receivable debited with the total, rental income (charge
 * lines), fee income (fee lines) and taxes payable credited.
 */
export async function issueChargeInvoice(tx: Tx, caller: Caller, body: CreateInvoiceBody): Promise<InvoiceDetail> {
  const orgId = await actingOrganization(tx);
  const customer = await billedCustomer(tx, body.customerId);
  let property: PropertyFacts | undefined;
  if (body.propertyId !== undefined) {
    property = await propertyFacts(tx, body.propertyId);
    if (!property) throw invoiceErrors.raise('property_not_found', `No property ${body.propertyId} here`);
  }
  const issueDate = todayIn(property?.timeZone ?? 'UTC');
  const dueDate = body.dueDate ?? issueDate.add({ days: chargeTermDays }).toString();
  // YYYY-MM-DD text sorts as the dates do.
  if (dueDate < issueDate.toString()) {
    throw invoiceErrors.raise('invalid_due_date', `The due date ${dueDate} is before the issue date ${issueDate.toString()}`);
  }
  const tax = body.taxRateBps === undefined ? undefined : { rateBps: body.taxRateBps, inclusive: body.taxInclusive };
  const draft = draftCharges(body.currency, body.lines, tax);
  const { row, lines } = await insertIssued(tx, caller, {
    orgId,
    kind: 'charge',
    bookingId: null,
    customerId: customer.id,
    currency: body.currency,
    draft,
    issueDate: issueDate.toString(),
    dueDate,
    billTo: billToOf(customer),
    seller: sellerOf(orgId, property),
    notes: body.notes ?? null,
  });

  const income = chargeIncome(draft, body.currency);
  const { currency } = body;
  const candidates: PostingLine[] = [
    { account: { code: '1200', currency, party: { type: 'customer', id: customer.id } }, amount: draft.total },
    { account: { code: '4000', currency }, amount: -income.rental },
    { account: { code: '4200', currency }, amount: -income.fees },
    { account: { code: '2600', currency }, amount: -income.tax },
  ];
  const postings = candidates.filter((posting) => posting.amount !== 0);
  // A charge of nothing owes nothing: there is no entry to post.
  const entry =
    postings.length < 2
      ? null
      : await postEntry(tx, caller, {
          orgId,
          description: `Invoice ${row.number} issued`,
          source: { type: 'invoice', id: row.id, event: 'issued' },
          postings,
          metadata: { invoiceNumber: row.number },
        });
  const issued = entry ? await updateInvoice(tx, row.id, { ledgerEntryId: entry.id }) : row;
  return recordIssue(tx, caller, issued, lines);
}

/**
 * The booking's live invoice, issued now if it has none: its lines are the booking's price
 * breakdown, its total the booking's total, and it falls due at check-in (or on issue, when that is
 * later). Posts nothing to the ledger: the booking's money is accounted by its payments (escrow).
 */
export async function ensureBookingInvoiceRow(tx: Tx, caller: Caller, bookingId: string): Promise<InvoiceRow> {
  await lockBookingInvoicing(tx, bookingId);
  const existing = await liveInvoiceOfBooking(tx, bookingId);
  if (existing) return existing;
  const booking = await bookingFacts(tx, bookingId);
  if (!booking) throw invoiceErrors.raise('booking_not_found', `No booking ${bookingId} here`);
  const customer = await billedCustomer(tx, booking.customerId);
  const property = await propertyFacts(tx, booking.propertyId);
  if (!property) throw new Error(`The property ${booking.propertyId} of booking ${booking.id} cannot be read`);
  const draft = draftBooking(booking.priceBreakdown);
  if (draft.total !== booking.totalAmount) {
    throw new Error(`The price breakdown of booking ${booking.reference} adds up to ${draft.total}, not its total ${booking.totalAmount}`);
  }
  const issueDate = todayIn(property.timeZone).toString();
  const { row, lines } = await insertIssued(tx, caller, {
    orgId: booking.orgId,
    kind: 'booking',
    bookingId: booking.id,
    customerId: customer.id,
    currency: booking.currency,
    draft,
    issueDate,
    dueDate: booking.checkIn > issueDate ? booking.checkIn : issueDate,
    billTo: billToOf(customer),
    seller: sellerOf(booking.orgId, property),
    notes: bookingNote(booking),
  });
  await recordIssue(tx, caller, row, lines);
  return row;
}

function bookingNote(booking: BookingFacts): string {
  return `Booking ${booking.reference}, ${booking.checkIn} to ${booking.checkOut}`;
}

/**
 * Whether the booking's invoice still says what the booking does: its customer, stay and lines.
 * A change of dates, guests or unit type prices the booking again; a merge moves it to another
 * customer.
 */
export async function bookingInvoiceIsCurrent(db: Queryable, invoice: InvoiceRow, booking: BookingFacts): Promise<boolean> {
  if (invoice.customerId !== booking.customerId || invoice.total !== booking.totalAmount || invoice.notes !== bookingNote(booking)) {
    return false;
  }
  const wanted = draftBooking(booking.priceBreakdown).lines;
  const stored = await linesOf(db, invoice.id);
  return (
    stored.length === wanted.length &&
    stored.every((line, index) => {
      const draft = wanted[index]!;
      return (
        line.kind === draft.kind &&
        line.description === draft.description &&
        line.quantity === quantityText(draft.quantityThousandths) &&
        line.unitAmount === draft.unitAmount &&
        line.amount === draft.amount &&
        line.included === draft.included
      );
    })
  );
}
