import { sql } from 'kysely';
import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { uuidFromName, uuidv7 } from '../../platform/ids.ts';
import { bookingFacts } from '../bookings/index.ts';
import { customerFacts } from '../customers/index.ts';
import { propertyFacts } from '../inventory/index.ts';
import { invoiceFacts } from '../invoices/index.ts';
import { bankAccountForUse } from './bank-accounts.ts';
import { amountDue } from './booking-payments.ts';
import { submitCharge } from './charges.ts';
import type { PaymentsContext } from './context.ts';
import { paymentErrors } from './errors.ts';
import { recordCreation } from './history.ts';
import { applyPaymentReport } from './outcomes.ts';
import type { BankRail, PaymentMethod, ProviderName } from './providers/port.ts';
import { insertPayment, type PaymentPurpose, type PaymentRow, paymentByKey, paymentsOfBooking } from './store.ts';

/**
 * Taking a payment (seeds/003 and seeds/000): one payment per idempotency key and organization,
 * checked against what it pays for, handed to its provider, and recorded as it goes.
 */
export interface NewPayment {
  orgId: string;
  idempotencyKey?: string | undefined;
  /** A fingerprint of the request: the same key with a different request is refused. */
  fingerprint: string;
  purpose: PaymentPurpose;
  bookingId?: string | undefined;
  invoiceId?: string | undefined;
  leaseId?: string | undefined;
  payerCustomerId?: string | undefined;
  payeeOwnerId?: string | undefined;
  amount?: number | undefined;
  currency?: string | undefined;
  method: PaymentMethod;
  rail?: BankRail | undefined;
  payerBankAccountId?: string | undefined;
  payerPhone?: string | undefined;
  paymentMethodToken?: string | undefined;
  receiptNumber?: string | undefined;
  description?: string | undefined;
  metadata?: Record<string, string> | undefined;
}

export interface PaymentOutcome {
  payment: PaymentRow;
  /** False when the key's earlier payment is returned instead. */
  created: boolean;
}

function sameRequest(existing: PaymentRow, fingerprint: string): PaymentOutcome {
  if (existing.requestFingerprint !== fingerprint) {
    throw paymentErrors.raise('idempotency_key_reused', `Payment ${existing.id} was made with this key and a different request`);
  }
  return { payment: existing, created: false };
}

interface Terms {
  amount: number;
  currency: string;
  payerCustomerId: string | null;
  payeeOwnerId: string | null;
}

/** What is owed for the purpose, and by whom to whom. */
async function termsOf(tx: Tx, input: NewPayment): Promise<Terms> {
  if (input.purpose === 'booking') {
    if (!input.bookingId) throw paymentErrors.raise('booking_not_found', 'A booking payment names its booking');
    const booking = await bookingFacts(tx, input.bookingId);
    if (!booking) throw paymentErrors.raise('booking_not_found', `No booking ${input.bookingId} here`);
    if (!['approved', 'confirmed', 'checked_in', 'checked_out'].includes(booking.status)) {
      throw paymentErrors.raise('booking_not_payable', `Booking ${booking.reference} is ${booking.status}`);
    }
    // One payment for a booking is decided at a time, so two cannot both take what is due.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`payment-of-booking:${booking.id}`}, 0))`.execute(tx);
    const due = amountDue(booking, await paymentsOfBooking(tx, booking.id));
    if (due <= 0) throw paymentErrors.raise('booking_not_payable', `Booking ${booking.reference} is paid`);
    const amount = input.amount ?? due;
    if (amount > due) throw paymentErrors.raise('amount_exceeds_due', `${due} ${booking.currency} is due on booking ${booking.reference}`);
    const property = await propertyFacts(tx, booking.propertyId);
    return { amount, currency: booking.currency, payerCustomerId: booking.customerId, payeeOwnerId: property?.ownerId ?? null };
  }
  if (input.purpose === 'invoice') {
    if (!input.invoiceId) throw paymentErrors.raise('invoice_not_found', 'An invoice payment names its invoice');
    const invoice = await invoiceFacts(tx, input.invoiceId);
    if (!invoice) throw paymentErrors.raise('invoice_not_found', `No invoice ${input.invoiceId} here`);
    if (invoice.status !== 'issued' || invoice.amountDue <= 0) {
      throw paymentErrors.raise('invoice_not_payable', `Invoice ${invoice.number} is ${invoice.status}`);
    }
    const amount = input.amount ?? invoice.amountDue;
    if (amount > invoice.amountDue)
      throw paymentErrors.raise('amount_exceeds_due', `${invoice.amountDue} ${invoice.currency} is due on ${invoice.number}`);
    return { amount, currency: invoice.currency, payerCustomerId: invoice.customerId, payeeOwnerId: null };
  }
  if (!input.payerCustomerId) throw paymentErrors.raise('payer_required', `A ${input.purpose} payment names the paying customer`);
  if (input.amount === undefined || !input.currency) throw paymentErrors.raise('method_needs_details', 'Give the amount and currency');
  return {
    amount: input.amount,
    currency: input.currency,
    payerCustomerId: input.payerCustomerId,
    payeeOwnerId: input.payeeOwnerId ?? null,
  };
}

async function checkPayer(tx: Tx, input: NewPayment, terms: Terms, context: PaymentsContext): Promise<void> {
  if (input.currency && input.currency !== terms.currency) {
    throw paymentErrors.raise('currency_mismatch', `This is owed in ${terms.currency}, not ${input.currency}`);
  }
  if (input.payerCustomerId && terms.payerCustomerId && input.payerCustomerId !== terms.payerCustomerId) {
    throw paymentErrors.raise('payer_not_found', 'The payer is the customer who owes it');
  }
  if (terms.payerCustomerId && !(await customerFacts(tx, terms.payerCustomerId))) {
    throw paymentErrors.raise('payer_not_found', `No customer ${terms.payerCustomerId} here`);
  }
  if (input.payerBankAccountId) {
    const account = await bankAccountForUse(tx, input.payerBankAccountId, context.dataKeys);
    if (account.holderType !== 'customer' || account.holderId !== terms.payerCustomerId) {
      throw paymentErrors.raise('method_needs_details', 'The bank account is not the paying customer’s');
    }
  }
}

function providerOf(input: NewPayment, context: PaymentsContext): ProviderName {
  if (input.method === 'cash' || input.method === 'cheque') {
    if (!input.receiptNumber) throw paymentErrors.raise('receipt_required', 'Write the receipt number given to the payer');
    return 'manual';
  }
  if (input.method === 'bank_transfer' && (!input.rail || !input.payerBankAccountId)) {
    throw paymentErrors.raise('method_needs_details', 'A bank transfer names its rail and the payer’s bank account');
  }
  if (input.method === 'mobile_money' && !input.payerPhone) {
    throw paymentErrors.raise('method_needs_details', 'A mobile-money payment names the phone number that pays');
  }
  const provider = context.providers.forMethod(input.method);
  if (!provider) throw paymentErrors.raise('method_not_available', `No provider takes ${input.method} payments here`);
  return provider;
}

/**
 * Makes the payment, or returns the one its key already made. The payment's id is derived from
 * the key, so a retry of a request that failed before commit reaches the provider under the same id.
 */
export async function takePayment(tx: Tx, caller: Caller, input: NewPayment, context: PaymentsContext): Promise<PaymentOutcome> {
  if (input.idempotencyKey) {
    const existing = await paymentByKey(tx, input.idempotencyKey);
    if (existing) return sameRequest(existing, input.fingerprint);
  }
  const provider = providerOf(input, context);
  if (provider === 'manual' && input.receiptNumber) {
    const duplicate = await tx
      .selectFrom('payment')
      .select('id')
      .where('provider', '=', 'manual')
      .where('receiptNumber', '=', input.receiptNumber)
      .executeTakeFirst();
    if (duplicate) throw paymentErrors.raise('receipt_already_recorded', `Receipt ${input.receiptNumber} is payment ${duplicate.id}`);
  }
  const terms = await termsOf(tx, input);
  await checkPayer(tx, input, terms, context);
  const inserted = await insertPayment(tx, {
    id: input.idempotencyKey ? uuidFromName('payment', input.orgId, input.idempotencyKey) : uuidv7(),
    orgId: input.orgId,
    idempotencyKey: input.idempotencyKey ?? null,
    requestFingerprint: input.fingerprint,
    purpose: input.purpose,
    bookingId: input.bookingId ?? null,
    invoiceId: input.invoiceId ?? null,
    leaseId: input.leaseId ?? null,
    payerCustomerId: terms.payerCustomerId,
    payeeOwnerId: terms.payeeOwnerId,
    amount: terms.amount,
    currency: terms.currency,
    method: input.method,
    rail: input.method === 'bank_transfer' ? (input.rail ?? null) : null,
    provider,
    status: 'pending',
    payerBankAccountId: input.payerBankAccountId ?? null,
    payerPhone: input.payerPhone ?? null,
    receiptNumber: provider === 'manual' ? (input.receiptNumber ?? null) : null,
    description: input.description ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    createdBy: caller.userId,
  });
  if (!inserted) {
    // A concurrent request with the key committed first: this one returns its payment.
    return sameRequest((await paymentByKey(tx, input.idempotencyKey!))!, input.fingerprint);
  }
  await recordCreation(tx, caller, inserted);
  if (provider === 'manual') {
    const { payment } = await applyPaymentReport(tx, caller, inserted, { status: 'succeeded' }, context);
    return { payment, created: true };
  }
  return { payment: await submitCharge(tx, caller, inserted, context, { paymentMethodToken: input.paymentMethodToken }), created: true };
}
