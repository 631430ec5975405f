import { systemCaller } from '../../platform/audit/change.ts';
import type { Database } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { createOwner } from './owners.ts';
import { createProperty } from './properties.ts';
import { CreateOwnerBody, CreatePropertyBody, CreateUnitTypeBody } from './schemas.ts';
import { everything } from './store.ts';
import { createUnit, createUnitType } from './units.ts';
import type { Acting } from './views.ts';

export interface InventoryFixture {
  ownerId: string;
  propertyId: string;
  unitTypeId: string;
  /** Named `101`, `102`, … */
  unitIds: string[];
}

/** A property as a client describes it: a hotel in Lisbon, in EUR (without its owner). */
export const sampleProperty = {
  name: 'Harbour House',
  category: 'hospitality',
  propertyType: 'hotel',
  addressLine1: 'Rua do Cais 12',
  city: 'Lisbon',
  country: 'PT',
  timeZone: 'Europe/Lisbon',
  currency: 'EUR',
} as const;

/**
 * For tests, here and in other modules: an owner, a property, one unit type and `units` units (2 by
 * default) in the organization, made by the module's own use cases in one transaction, audited as
 * the system. Properties default to a hotel in Lisbon, in EUR; override any field.
 */
export async function createInventoryFixture(
  db: Database,
  orgId: string,
  options: {
    units?: number;
    owner?: Partial<CreateOwnerBody>;
    property?: Partial<CreatePropertyBody>;
    unitType?: Partial<CreateUnitTypeBody>;
  } = {},
): Promise<InventoryFixture> {
  const acting: Acting = { orgId, caller: systemCaller(orgId, { correlationId: uuidv7() }), reach: everything };
  return transactionAsTenant(db, orgId, async (tx) => {
    const owner = await createOwner(tx, acting, CreateOwnerBody.parse({ name: 'Marina Costa', ...options.owner }));
    const property = await createProperty(
      tx,
      acting,
      CreatePropertyBody.parse({
        ownerId: owner.id,
        ...sampleProperty,
        ...options.property,
      }),
    );
    const unitType = await createUnitType(
      tx,
      acting,
      property.id,
      CreateUnitTypeBody.parse({ name: 'Double room', code: 'DBL', maxOccupancy: 2, maxAdults: 2, ...options.unitType }),
    );
    const unitIds: string[] = [];
    for (let index = 0; index < (options.units ?? 2); index += 1) {
      unitIds.push((await createUnit(tx, acting, property.id, { unitTypeId: unitType.id, name: String(101 + index) })).id);
    }
    return { ownerId: owner.id, propertyId: property.id, unitTypeId: unitType.id, unitIds };
  });
}
