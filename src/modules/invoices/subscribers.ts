import { z } from 'zod';
import { type Caller, systemCaller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { EventEnvelope } from '../../platform/events/envelope.ts';
import type { EventSubscriber } from '../../platform/events/subscriber.ts';
import { bookingFacts } from '../bookings/index.ts';
import { bookingInvoiceIsCurrent, ensureBookingInvoiceRow } from './issue.ts';
import { applyPayment, returnPayment } from './settlement.ts';
import { invoiceById, liveInvoiceOfBooking, lockBookingInvoicing } from './store.ts';
import { voidInvoice } from './void.ts';

/**
 * What invoices do when bookings and payments change. Each subscriber runs exactly once per event
 * (the relay's inbox), in the event's organization.
 */

const BookingEvent = z.object({ bookingId: z.uuid() });

const PaymentEvent = z.object({
  paymentId: z.string().min(1),
  purpose: z.string(),
  bookingId: z.uuid().nullish(),
  invoiceId: z.uuid().nullish(),
  amount: z.number().int().positive(),
  currency: z.string().length(3),
});
type PaymentEvent = z.infer<typeof PaymentEvent>;

function parsed<T>(schema: z.ZodType<T>, event: EventEnvelope): { data: T; caller: Caller } {
  const result = schema.safeParse(event.data);
  if (!result.success || event.tenantId === null) {
    throw new Error(`${event.type} event ${event.id} lacks what invoices need: ${result.error?.message ?? 'its organization'}`);
  }
  const caller = systemCaller(event.tenantId, { correlationId: event.correlationId, causationId: event.id });
  return { data: result.data, caller };
}

/** Bookings whose confirmation is stale by the time it is handled: nothing is owed. */
const unbilledStatuses = new Set(['pending', 'declined', 'cancelled']);

/** `booking.confirmed`: the booking gets its invoice (one live invoice per booking). */
export const issueOnBookingConfirmed: EventSubscriber = {
  name: 'invoices.booking-confirmed.v1',
  eventTypes: ['booking.confirmed'],
  async handle(tx, event) {
    const { data, caller } = parsed(BookingEvent, event);
    const booking = await bookingFacts(tx, data.bookingId);
    if (!booking || unbilledStatuses.has(booking.status)) return;
    await ensureBookingInvoiceRow(tx, caller, booking.id);
  },
};

/** `booking.cancelled`: the booking's invoice is voided when nothing was paid against it. */
export const voidOnBookingCancelled: EventSubscriber = {
  name: 'invoices.booking-cancelled.v1',
  eventTypes: ['booking.cancelled'],
  async handle(tx, event) {
    const { data, caller } = parsed(BookingEvent, event);
    const invoice = await liveInvoiceOfBooking(tx, data.bookingId, { forUpdate: true });
    if (!invoice || invoice.amountPaid > 0) return;
    await voidInvoice(tx, caller, invoice, 'booking cancelled');
  },
};

/**
 * `booking.changed` and `booking.moved`: a booking priced again (dates, guests, unit type) or moved
 * to another customer no longer matches its invoice. One nothing was paid against is voided
 * (reason: booking changed) and issued again from the booking as it now is; one with payments is
 * kept as it is, so what was paid stays recorded against it.
 */
export const reissueOnBookingChanged: EventSubscriber = {
  name: 'invoices.booking-changed.v1',
  eventTypes: ['booking.changed', 'booking.moved'],
  async handle(tx, event) {
    const { data, caller } = parsed(BookingEvent, event);
    await lockBookingInvoicing(tx, data.bookingId);
    const invoice = await liveInvoiceOfBooking(tx, data.bookingId, { forUpdate: true });
    const booking = await bookingFacts(tx, data.bookingId);
    if (!invoice || !booking || invoice.amountPaid > 0 || (await bookingInvoiceIsCurrent(tx, invoice, booking))) return;
    await voidInvoice(tx, caller, invoice, 'booking changed');
    if (!unbilledStatuses.has(booking.status)) await ensureBookingInvoiceRow(tx, caller, booking.id);
  },
};

async function invoiceOfPayment(tx: Tx, caller: Caller, payment: PaymentEvent, succeeded: boolean) {
  if (payment.purpose === 'booking' && payment.bookingId) {
    if (succeeded) await ensureBookingInvoiceRow(tx, caller, payment.bookingId);
    return liveInvoiceOfBooking(tx, payment.bookingId, { forUpdate: true });
  }
  if (payment.purpose === 'invoice' && payment.invoiceId) {
    const invoice = await invoiceById(tx, payment.invoiceId, {}, { forUpdate: true });
    if (!invoice) throw new Error(`Payment ${payment.paymentId} is for invoice ${payment.invoiceId}, which does not exist here`);
    return invoice;
  }
  return undefined;
}

/**
 * `payment.succeeded` adds the amount to the invoice paid for — a booking's (issued first if it has
 * none yet) or the invoice named — and `payment.returned` takes it off again. One subscriber for
 * both, so a payment's return is handled after its success (order holds per payment).
 */
export const settleOnPayment: EventSubscriber = {
  name: 'invoices.payment-settled.v1',
  eventTypes: ['payment.succeeded', 'payment.returned'],
  async handle(tx, event) {
    const { data, caller } = parsed(PaymentEvent, event);
    const succeeded = event.type === 'payment.succeeded';
    const invoice = await invoiceOfPayment(tx, caller, data, succeeded);
    if (!invoice) return;
    const payment = { paymentId: data.paymentId, amount: data.amount, currency: data.currency };
    await (succeeded ? applyPayment(tx, caller, invoice, payment) : returnPayment(tx, caller, invoice, payment));
  },
};

export const invoiceSubscribers: EventSubscriber[] = [
  issueOnBookingConfirmed,
  voidOnBookingCancelled,
  reissueOnBookingChanged,
  settleOnPayment,
];
