import type { Queryable } from '../../platform/db/database.ts';
import type { Quote } from '../pricing/index.ts';
import type { BookingStatus } from './state-machine.ts';
import { bookingById } from './store.ts';

/** What other modules (payments, invoices) read of a booking, in the organization their transaction acts for. */
export interface BookingFacts {
  id: string;
  orgId: string;
  reference: string;
  status: BookingStatus;
  rentalMode: 'daily' | 'monthly' | 'lease';
  guarantee: 'online_payment' | 'pay_at_property';
  propertyId: string;
  unitId: string;
  customerId: string;
  currency: string;
  totalAmount: number;
  /** The quote it was priced with: lines and totals (the deposit among them). */
  priceBreakdown: Quote;
  checkIn: string;
  checkOut: string;
  holdExpiresAt: Date | null;
  checkedInAt: Date | null;
  cancelledAt: Date | null;
  refundAmount: number | null;
}

export async function bookingFacts(db: Queryable, bookingId: string): Promise<BookingFacts | undefined> {
  const row = await bookingById(db, bookingId);
  if (!row) return undefined;
  return {
    id: row.id,
    orgId: row.orgId,
    reference: row.reference,
    status: row.status,
    rentalMode: row.rentalMode,
    guarantee: row.guarantee as BookingFacts['guarantee'],
    propertyId: row.propertyId,
    unitId: row.unitId,
    customerId: row.customerId,
    currency: row.currency,
    totalAmount: row.totalAmount,
    priceBreakdown: row.priceBreakdown as unknown as Quote,
    checkIn: row.checkIn,
    checkOut: row.checkOut,
    holdExpiresAt: row.holdExpiresAt,
    checkedInAt: row.checkedInAt,
    cancelledAt: row.cancelledAt,
    refundAmount: row.refundAmount,
  };
}
