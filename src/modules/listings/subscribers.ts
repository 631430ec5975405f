import { systemCaller } from '../../platform/audit/change.ts';
import type { EventSubscriber } from '../../platform/events/subscriber.ts';
import { deactivateListing } from './listings.ts';
import { syncPublication } from './publication.ts';
import { listingsOf } from './store.ts';

/**
 * What listings copy into the marketplace's read model follows its sources. Each handler acts for
 * the event's organization, which owns both the changed object and its listings.
 */

/**
 * Pricing publishes `rate_plan.created`, `.updated` and `.deleted` when a plan's prices change:
 * the publications of that unit type's listings get their new "from" price.
 */
export const refreshFromPrices: EventSubscriber = {
  name: 'listings.refresh-from-price',
  eventTypes: ['rate_plan.created', 'rate_plan.updated', 'rate_plan.deleted'],
  async handle(tx, event) {
    const { unitTypeId } = event.data;
    if (typeof unitTypeId !== 'string') return;
    for (const listing of await listingsOf(tx, { unitTypeId })) await syncPublication(tx, listing);
  },
};

/**
 * A property's place, category or images, or a unit type's capacity, changed: its listings'
 * publications are copied again. A deleted unit type (a property's deletion deletes its types)
 * takes its listings off the marketplace: they are deactivated.
 */
export const followInventory: EventSubscriber = {
  name: 'listings.follow-inventory',
  eventTypes: ['property.updated', 'unit_type.updated', 'unit_type.deleted'],
  async handle(tx, event) {
    const { propertyId, unitTypeId } = event.data;
    if (event.type === 'property.updated') {
      if (typeof propertyId !== 'string') return;
      for (const listing of await listingsOf(tx, { propertyId })) await syncPublication(tx, listing);
      return;
    }
    if (typeof unitTypeId !== 'string') return;
    const listings = await listingsOf(tx, { unitTypeId });
    if (event.type === 'unit_type.updated') {
      for (const listing of listings) await syncPublication(tx, listing);
      return;
    }
    if (!event.tenantId) return;
    const actor = systemCaller(event.tenantId, { correlationId: event.correlationId, causationId: event.id });
    for (const listing of listings) await deactivateListing(tx, listing, actor, 'unit_type.deleted');
  },
};
