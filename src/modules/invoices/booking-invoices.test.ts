import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { systemCaller } from '../../platform/audit/change.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { ensureBookingInvoice } from './index.ts';
import type { InvoiceDetail, InvoiceSummary } from './schemas.ts';
import {
  addMember,
  type BookingReply,
  createStay,
  day,
  eventsHandled,
  eventTypesOf,
  expectStatus,
  type Host,
  http,
  hostedInvoicesApp,
  invoiceOf,
  invoicesOfBooking,
  publishPaymentEvent,
  type Stay,
  walkInBooking,
} from './test-support.ts';

let t: TestApp;
let host: Host;
let stay: Stay;

beforeAll(async () => {
  ({ t, host } = await hostedInvoicesApp('stays'));
  stay = await createStay(t, host, {
    cleaningFee: 3000,
    taxes: [
      { name: 'VAT', kind: 'percentage', rateBps: 600, inclusive: true },
      { name: 'City tax', kind: 'per_night', amount: 200 },
    ],
  });
});
afterAll(() => t.close());

const delivered = () => eventsHandled(t);

/** The booking's one invoice that is not void, once the events so far are handled. */
async function liveInvoice(bookingId: string): Promise<InvoiceDetail> {
  await delivered();
  const page = expectStatus<{ data: InvoiceSummary[] }>(await http(t).get(`/v1/invoices?bookingId=${bookingId}`, host.admin), 200);
  const live = page.data.filter((invoice) => invoice.status !== 'void');
  expect(live).toHaveLength(1);
  return invoiceOf(t, host.admin, live[0]!.id);
}

/** A confirmed stay of `nights` nights starting `from` days from today. */
function confirmedStay(from: number, nights = 3): Promise<BookingReply> {
  return walkInBooking(t, host, stay, day(from), day(from + nights));
}

describe('the invoice of a booking', () => {
  it('is issued on confirmation with the booking’s lines and total, and posts nothing to the ledger', async () => {
    const booking = await confirmedStay(10);
    expect(booking.status).toBe('confirmed');
    const invoice = await liveInvoice(booking.id);

    expect(invoice).toMatchObject({
      kind: 'booking',
      status: 'issued',
      bookingId: booking.id,
      customerId: booking.customerId,
      currency: 'EUR',
      total: booking.totalAmount,
      amountPaid: 0,
      amountDue: booking.totalAmount,
      dueDate: booking.checkIn,
      ledgerEntryId: null,
      billTo: { customerId: booking.customerId, name: 'Rui Walker' },
      seller: { organizationId: host.orgId, propertyId: stay.propertyId, name: 'Harbour House' },
      notes: `Booking ${booking.reference}, ${day(10)} to ${day(13)}`,
    });
    // Three nights at one price make one line; every other line of the price breakdown is copied.
    const [nights, ...rest] = invoice.lines;
    expect(nights).toEqual({
      position: 1,
      kind: 'night',
      description: `3 nights, ${day(10)} to ${day(12)}`,
      quantity: 3,
      unitAmount: 10_000,
      amount: 30_000,
      included: false,
    });
    const quoted = booking.priceBreakdown.lines.filter((line) => line.kind !== 'night');
    expect(rest.map(({ kind, amount, included }) => ({ kind, amount, included }))).toEqual(
      quoted.map((line) => ({ kind: line.kind, amount: line.amount, included: line.included ?? false })),
    );
    expect(rest.some((line) => line.kind === 'tax' && line.included)).toBe(true);
    expect(rest.some((line) => line.kind === 'tax' && !line.included)).toBe(true);
    expect(invoice.taxTotal).toBe(booking.priceBreakdown.totals.taxes);
    expect(invoice.subtotal + invoice.taxTotal).toBe(booking.totalAmount);

    const { rows } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM journal_entry WHERE source_type = 'invoice' AND source_id = ${invoice.id}
    `.execute(t.database.owner);
    expect(rows[0]?.count).toBe(0);
    expect(await eventTypesOf(t, invoice.id)).toEqual(['invoice.issued']);
  });

  it('is one per booking, however often it is ensured', async () => {
    const booking = await confirmedStay(20);
    const invoice = await liveInvoice(booking.id);
    const again = await transactionAsTenant(t.database.db, host.orgId, (tx) =>
      ensureBookingInvoice(tx, systemCaller(host.orgId, { correlationId: uuidv7() }), booking.id),
    );
    expect(again).toMatchObject({ id: invoice.id, number: invoice.number, total: booking.totalAmount, bookingId: booking.id });
    expect(await invoicesOfBooking(t, booking.id)).toHaveLength(1);
  });

  it('applies payment.succeeded once, even when the event is delivered twice', async () => {
    const booking = await confirmedStay(30);
    const invoice = await liveInvoice(booking.id);
    const event = await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { bookingId: booking.id, amount: booking.totalAmount });
    await delivered();
    const paid = await invoiceOf(t, host.admin, invoice.id);
    expect(paid).toMatchObject({ status: 'paid', amountPaid: booking.totalAmount, amountDue: 0 });

    // The relay hands the same event out again: the inbox makes the second delivery a no-op.
    await sql`UPDATE outbox_event SET relayed_at = NULL WHERE id = ${event.id}`.execute(t.database.owner);
    await delivered();
    const { rows } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM event_inbox WHERE event_id = ${event.id} AND subscriber = 'invoices.payment-settled.v1'
    `.execute(t.database.owner);
    expect(rows[0]?.count).toBe(1);
    expect(await invoiceOf(t, host.admin, invoice.id)).toMatchObject({ status: 'paid', amountPaid: booking.totalAmount });
    expect(await eventTypesOf(t, invoice.id)).toEqual(['invoice.issued', 'invoice.paid']);
  });

  it('is issued by the payment of a booking that has none yet, and adds up partial payments', async () => {
    // Paid online: approved and held, so no booking.confirmed has issued an invoice.
    const booking = await walkInBooking(t, host, stay, day(40), day(42), { guarantee: 'online_payment' });
    expect(booking.status).toBe('approved');
    await delivered();
    expect(await invoicesOfBooking(t, booking.id)).toEqual([]);

    const half = Math.floor(booking.totalAmount / 2);
    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { bookingId: booking.id, amount: half });
    const partly = await liveInvoice(booking.id);
    expect(partly).toMatchObject({ status: 'issued', amountPaid: half, amountDue: booking.totalAmount - half, total: booking.totalAmount });

    const rest = booking.totalAmount - half;
    const returned = uuidv7();
    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { paymentId: returned, bookingId: booking.id, amount: rest });
    expect(await liveInvoice(booking.id)).toMatchObject({ id: partly.id, status: 'paid', amountPaid: booking.totalAmount });

    await publishPaymentEvent(t, host.orgId, 'payment.returned', { paymentId: returned, bookingId: booking.id, amount: rest });
    expect(await liveInvoice(booking.id)).toMatchObject({ id: partly.id, status: 'issued', amountPaid: half, paidAt: null });
    expect(await eventTypesOf(t, partly.id)).toEqual([
      'invoice.issued',
      'invoice.payment_applied',
      'invoice.paid',
      'invoice.payment_returned',
    ]);
  });

  it('is voided when the booking is cancelled with nothing paid, and kept when something was', async () => {
    const unpaid = await confirmedStay(50);
    const invoice = await liveInvoice(unpaid.id);
    expectStatus(await http(t).post(`/v1/bookings/${unpaid.id}/cancel`, host.admin, { reason: 'staff' }), 200);
    await delivered();
    expect(await invoiceOf(t, host.admin, invoice.id)).toMatchObject({ status: 'void', voidReason: 'booking cancelled' });
    expect(await eventTypesOf(t, invoice.id)).toEqual(['invoice.issued', 'invoice.voided']);

    const paid = await confirmedStay(60);
    const paidInvoice = await liveInvoice(paid.id);
    await publishPaymentEvent(t, host.orgId, 'payment.succeeded', { bookingId: paid.id, amount: 5000 });
    await delivered();
    expectStatus(await http(t).post(`/v1/bookings/${paid.id}/cancel`, host.admin, { reason: 'staff' }), 200);
    await delivered();
    expect(await invoiceOf(t, host.admin, paidInvoice.id)).toMatchObject({ status: 'issued', amountPaid: 5000 });
  });

  it('is issued again when the booking is priced again with nothing paid, and kept when only notes change', async () => {
    const booking = await confirmedStay(70, 2);
    const first = await liveInvoice(booking.id);
    expectStatus(await http(t).patch(`/v1/bookings/${booking.id}`, host.admin, { notes: 'Late arrival' }), 200);
    expect((await liveInvoice(booking.id)).id).toBe(first.id);

    const changed = expectStatus<BookingReply>(await http(t).patch(`/v1/bookings/${booking.id}`, host.admin, { checkOut: day(73) }), 200);
    expect(changed.totalAmount).toBeGreaterThan(booking.totalAmount);
    const second = await liveInvoice(booking.id);
    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ total: changed.totalAmount, notes: `Booking ${booking.reference}, ${day(70)} to ${day(73)}` });
    expect(second.lines[0]).toMatchObject({ description: `3 nights, ${day(70)} to ${day(72)}`, quantity: 3 });
    expect(await invoiceOf(t, host.admin, first.id)).toMatchObject({ status: 'void', voidReason: 'booking changed' });
    expect(second.number > first.number).toBe(true);
  });

  it("is shown to the owner of the booking's property, and to no other owner", async () => {
    const owner = await addMember(t, host.admin, host.orgId, 'owner', 'landlord');
    const otherOwner = await addMember(t, host.admin, host.orgId, 'owner', 'neighbour');
    const ownStay = await createStay(t, host, { ownerUserId: owner.userId });
    const booking = await walkInBooking(t, host, ownStay, day(80), day(81));
    const invoice = await liveInvoice(booking.id);
    const seen = expectStatus<{ data: InvoiceSummary[] }>(await http(t).get('/v1/invoices', owner), 200);
    expect(seen.data.map((each) => each.id)).toEqual([invoice.id]);
    expect((await invoiceOf(t, owner, invoice.id)).bookingId).toBe(booking.id);
    expect(expectStatus<{ total: number }>(await http(t).get('/v1/invoices', otherOwner), 200).total).toBe(0);
    expect((await http(t).get(`/v1/invoices/${invoice.id}`, otherOwner)).statusCode).toBe(404);
  });
});
