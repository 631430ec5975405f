import { systemCaller } from '../../platform/audit/change.ts';
import type { EventSubscriber } from '../../platform/events/subscriber.ts';
import { recordAmendment } from './lifecycle.ts';
import { lockBookingsOfCustomer } from './store.ts';

/**
 * `customer.merged`: the bookings of the record merged away now belong to the one it was merged
 * into — each moved with its booking event, audit entry and `booking.changed`.
 */
export const moveBookingsOfMergedCustomer: EventSubscriber = {
  name: 'bookings.customer-merged',
  eventTypes: ['customer.merged'],
  async handle(tx, event) {
    const { customerId, intoCustomerId } = event.data as { customerId?: unknown; intoCustomerId?: unknown };
    if (typeof customerId !== 'string' || typeof intoCustomerId !== 'string' || event.tenantId === null) {
      throw new Error(`customer.merged event ${event.id} lacks its customers or organization`);
    }
    const caller = systemCaller(event.tenantId, { correlationId: event.correlationId, causationId: event.id });
    for (const booking of await lockBookingsOfCustomer(tx, customerId)) {
      await recordAmendment(tx, booking, { customerId: intoCustomerId }, caller, {
        type: 'changed',
        data: { changes: { customerId: { from: customerId, to: intoCustomerId } }, reason: 'customer_merged' },
      });
    }
  },
};
