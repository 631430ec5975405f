import type { TenureModule } from '../../platform/module.ts';
import { holdExpiryJob } from './holds.ts';
import { moveBookingsOfMergedCustomer } from './merge.ts';
import { bookingsRoutes } from './routes.ts';

/**
 * Bookings: reservations of a unit for a stay (daily, monthly or a lease) and their state machine
 * (docs/bookings.md), what happened to each, quotes, availability and blocks over the one
 * occupancy table, the hold-expiry job, and a customer's stay history.
 *
 * The payments module confirms an approved booking once it is paid, with `confirmBooking` in the
 * transaction that records the payment.
 */
export { confirmBooking } from './transitions.ts';
export { type BookingFacts, bookingFacts } from './facts.ts';
export { bookingStatuses, type BookingStatus } from './state-machine.ts';
export type { BookingSummary } from './schemas.ts';

export const bookingsModule: TenureModule = {
  name: 'bookings',
  routes: bookingsRoutes,
  subscribers: [moveBookingsOfMergedCustomer],
  jobs: [holdExpiryJob],
};
