import type { Updateable } from 'kysely';
import { recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Property } from '../../platform/db/schema.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { inventoryErrors } from './errors.ts';
import type { CreatePropertyBody, PropertyListQuery, PropertyReply, UpdatePropertyBody } from './schemas.ts';
import {
  deleteProperty as deletePropertyRow,
  foreignKeyViolation,
  insertProperty,
  listProperties as listPropertyRows,
  ownerById,
  propertyById,
  propertyHasUnits,
  type Reach,
  unitTypesOfProperty,
  updateProperty as updatePropertyRow,
} from './store.ts';
import { type Acting, auditState, toProperty, toUnitType } from './views.ts';

const source = 'inventory';

async function requireOwner(tx: Tx, acting: Acting, ownerId: string | null | undefined): Promise<void> {
  if (ownerId === undefined || ownerId === null) return;
  if (!(await ownerById(tx, ownerId, acting.reach))) {
    throw inventoryErrors.raise('owner_unknown', `No property owner ${ownerId} in this organization`, {
      errors: [{ path: 'body.ownerId', message: 'No such property owner', code: 'unknown' }],
    });
  }
}

/** A change to an owner that another transaction is deleting meets the foreign key: the owner is gone. */
function ownerGone(error: unknown): never {
  if (foreignKeyViolation(error)) throw inventoryErrors.raise('owner_unknown', 'The property owner was just deleted');
  throw error;
}

/** The row's columns for the body's fields; text the schema trimmed to nothing is stored as null. */
function columnsOf(body: UpdatePropertyBody): Updateable<Property> {
  const columns: Updateable<Property> = {};
  const optionalText = (value: string | null | undefined) =>
    value === undefined ? undefined : value === null || value === '' ? null : value;
  if (body.ownerId !== undefined) columns.ownerId = body.ownerId;
  if (body.name !== undefined) columns.name = body.name;
  if (body.category !== undefined) columns.category = body.category;
  if (body.propertyType !== undefined) columns.propertyType = body.propertyType;
  if (body.addressLine1 !== undefined) columns.addressLine1 = body.addressLine1;
  if (body.addressLine2 !== undefined) columns.addressLine2 = optionalText(body.addressLine2);
  if (body.city !== undefined) columns.city = body.city;
  if (body.region !== undefined) columns.region = optionalText(body.region);
  if (body.postalCode !== undefined) columns.postalCode = optionalText(body.postalCode);
  if (body.country !== undefined) columns.country = body.country;
  if (body.latitude !== undefined) columns.latitude = body.latitude;
  if (body.longitude !== undefined) columns.longitude = body.longitude;
  if (body.timeZone !== undefined) columns.timeZone = body.timeZone;
  if (body.currency !== undefined) columns.currency = body.currency;
  if (body.checkInTime !== undefined) columns.checkInTime = body.checkInTime;
  if (body.checkOutTime !== undefined) columns.checkOutTime = body.checkOutTime;
  if (body.amenities !== undefined) columns.amenities = body.amenities;
  if (body.images !== undefined) columns.images = JSON.stringify(body.images);
  return columns;
}

export async function createProperty(tx: Tx, acting: Acting, body: CreatePropertyBody): Promise<PropertyReply> {
  await requireOwner(tx, acting, body.ownerId);
  const id = uuidv7();
  const row = await insertProperty(tx, {
    id,
    orgId: acting.orgId,
    name: body.name,
    category: body.category,
    propertyType: body.propertyType,
    addressLine1: body.addressLine1,
    city: body.city,
    country: body.country,
    timeZone: body.timeZone,
    currency: body.currency,
    ...columnsOf(body),
  }).catch(ownerGone);
  const property = toProperty(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'CREATE',
    entityType: 'property',
    entityId: id,
    after: auditState(property),
    event: {
      type: 'property.created',
      source,
      data: { propertyId: id, name: property.name, category: property.category, currency: property.currency, timeZone: property.timeZone },
    },
  });
  return property;
}

export async function getProperty(db: Queryable, reach: Reach, propertyId: string): Promise<PropertyReply> {
  const row = await propertyById(db, propertyId, reach);
  if (!row) throw inventoryErrors.raise('property_not_found');
  return toProperty(row);
}

export async function listProperties(
  db: Queryable,
  reach: Reach,
  query: PropertyListQuery,
): Promise<{ data: PropertyReply[]; total: number }> {
  const { rows, total } = await listPropertyRows(db, reach, {
    category: query.category,
    city: query.city,
    ownerId: query.ownerId,
    ...offsetOf(query),
  });
  return { data: rows.map(toProperty), total };
}

export async function updateProperty(tx: Tx, acting: Acting, propertyId: string, body: UpdatePropertyBody): Promise<PropertyReply> {
  const current = await propertyById(tx, propertyId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('property_not_found');
  await requireOwner(tx, acting, body.ownerId);
  const movesMoney = body.currency !== undefined && body.currency !== current.currency;
  const movesClock = body.timeZone !== undefined && body.timeZone !== current.timeZone;
  // Prices are in the property's currency and stays are nights in its time zone: once units can be
  // priced and booked, changing either would silently change what existing prices and stays mean.
  if ((movesMoney || movesClock) && (await propertyHasUnits(tx, propertyId))) {
    throw inventoryErrors.raise(
      'property_settings_locked',
      `The ${movesMoney ? 'currency' : 'time zone'} cannot change while the property has units`,
    );
  }
  const before = toProperty(current);
  const row = await updatePropertyRow(tx, propertyId, columnsOf(body)).catch(ownerGone);
  const property = toProperty(row);
  const changed = Object.keys(auditState(property)).filter(
    (key) => JSON.stringify(property[key as keyof PropertyReply]) !== JSON.stringify(before[key as keyof PropertyReply]),
  );
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'UPDATE',
    entityType: 'property',
    entityId: propertyId,
    before: auditState(before),
    after: auditState(property),
    event: { type: 'property.updated', source, data: { propertyId, changed } },
  });
  return property;
}

/** Deletes a property without units; its unit types go with it. */
export async function deleteProperty(tx: Tx, acting: Acting, propertyId: string): Promise<void> {
  const current = await propertyById(tx, propertyId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('property_not_found');
  if (await propertyHasUnits(tx, propertyId)) {
    throw inventoryErrors.raise('property_has_units', 'Delete its units first');
  }
  const unitTypes = await unitTypesOfProperty(tx, propertyId);
  await deletePropertyRow(tx, propertyId);
  for (const unitType of unitTypes) {
    await recordChange(tx, acting.caller, {
      orgId: acting.orgId,
      action: 'DELETE',
      entityType: 'unit_type',
      entityId: unitType.id,
      before: auditState(toUnitType(unitType)),
      event: { type: 'unit_type.deleted', source, data: { unitTypeId: unitType.id, propertyId } },
    });
  }
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'DELETE',
    entityType: 'property',
    entityId: propertyId,
    before: auditState(toProperty(current)),
    event: { type: 'property.deleted', source, data: { propertyId } },
  });
}
