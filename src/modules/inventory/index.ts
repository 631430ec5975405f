import type { TenureModule } from '../../platform/module.ts';
import { inventoryRoutes } from './routes.ts';

/**
 * Inventory: property owners, properties, unit types (room types) and units, with their
 * housekeeping and operational status.
 *
 * Other modules read it through the functions below, in the organization their transaction acts
 * for, and apply their own caller's scope: an `owner` member's `own` scope is `propertyIdsOwnedBy`
 * (their properties) or `ownerIdOfUser` (their owner record).
 */
export {
  type OwnerFacts,
  ownerFacts,
  type PropertyFacts,
  propertyFacts,
  type UnitFacts,
  unitFacts,
  unitsOfType,
  type UnitTypeFacts,
  unitTypeFacts,
} from './facts.ts';
export { ownerIdOfUser, propertyIdsOwnedBy } from './store.ts';
export { markUnitDirty } from './units.ts';
export { createInventoryFixture, type InventoryFixture } from './test-support.ts';

export const inventoryModule: TenureModule = { name: 'inventory', routes: inventoryRoutes };
