import { sql } from 'kysely';
import type { Caller } from '../../platform/audit/change.ts';
import type { Tx } from '../../platform/db/database.ts';
import { AppError } from '../../platform/http/errors.ts';
import { type BookingFacts, bookingFacts, confirmBooking } from '../bookings/index.ts';
import { paymentsOfBooking, type PaymentRow } from './store.ts';

/**
 * A booking paid: the payment confirms it (an approved booking becomes confirmed and its hold the
 * booking's occupation) exactly once. When that cannot be — the booking lapsed and its nights went
 * to someone else, or it was cancelled meanwhile — the payment is kept and refunded, and marked for
 * someone to see; a booking already paid in full makes a second payment a duplicate, refunded too.
 */
export type BookingSettlement =
  | { outcome: 'confirmed' | 'already_confirmed'; booking: BookingFacts }
  | { outcome: 'lapsed' | 'duplicate'; booking: BookingFacts | undefined; detail: string };

const firm = new Set(['confirmed', 'checked_in', 'checked_out', 'completed']);
const notConfirmable = new Set(['booking.dates_unavailable', 'booking.illegal_transition']);

/** What remains to pay on a booking: its total less what succeeded payments keep (refunds deducted). */
export function amountDue(booking: BookingFacts, payments: readonly PaymentRow[], except?: string): number {
  const paid = payments
    .filter((payment) => payment.id !== except && (payment.status === 'succeeded' || payment.status === 'processing'))
    .reduce((total, payment) => total + payment.amount - payment.refundedAmount, 0);
  return booking.totalAmount - paid;
}

export async function settleBookingPayment(tx: Tx, caller: Caller, payment: PaymentRow): Promise<BookingSettlement> {
  const bookingId = payment.bookingId!;
  const booking = await bookingFacts(tx, bookingId);
  if (!booking) return { outcome: 'lapsed', booking, detail: `Booking ${bookingId} no longer exists` };
  if (booking.status === 'approved' || booking.status === 'pending') {
    if (booking.status === 'pending') return { outcome: 'lapsed', booking, detail: `Booking ${booking.reference} was not approved yet` };
    await sql`SAVEPOINT confirm_paid_booking`.execute(tx);
    try {
      await confirmBooking(tx, bookingId, caller);
      await sql`RELEASE SAVEPOINT confirm_paid_booking`.execute(tx);
      return { outcome: 'confirmed', booking: (await bookingFacts(tx, bookingId))! };
    } catch (error) {
      if (!(error instanceof AppError) || !notConfirmable.has(error.code)) throw error;
      await sql`ROLLBACK TO SAVEPOINT confirm_paid_booking`.execute(tx);
      return { outcome: 'lapsed', booking, detail: `Booking ${booking.reference} could not be confirmed: ${error.message}` };
    }
  }
  if (firm.has(booking.status)) {
    const others = await paymentsOfBooking(tx, bookingId);
    if (amountDue(booking, others, payment.id) <= 0) {
      return { outcome: 'duplicate', booking, detail: `Booking ${booking.reference} was already paid in full` };
    }
    return { outcome: 'already_confirmed', booking };
  }
  return { outcome: 'lapsed', booking, detail: `Booking ${booking.reference} is ${booking.status}` };
}
