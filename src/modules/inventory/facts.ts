import type { Queryable } from '../../platform/db/database.ts';
import type { Category, HousekeepingStatus, OperationalStatus } from './schemas.ts';
import { everything, ownerById, propertyById, type UnitRow, unitById, unitsOfType as unitRowsOfType, unitTypeById } from './store.ts';
import { toProperty, toUnit } from './views.ts';

/**
 * What other modules read of the inventory, in the organization their transaction acts for
 * (row-level security): another organization's id reads as undefined. These reads apply no
 * caller scope; the calling module applies its own.
 */

export interface OwnerFacts {
  id: string;
  orgId: string;
  name: string;
  /** The owner's own login, if any. */
  userId: string | null;
}

export interface PropertyFacts {
  id: string;
  orgId: string;
  ownerId: string | null;
  name: string;
  category: Category;
  propertyType: string;
  city: string;
  region: string | null;
  country: string;
  latitude: number | null;
  longitude: number | null;
  timeZone: string;
  currency: string;
  /** 'HH:MM', in the property's time zone. */
  checkInTime: string;
  checkOutTime: string;
  amenities: string[];
  images: { url: string; caption?: string }[];
}

export interface UnitTypeFacts {
  id: string;
  propertyId: string;
  name: string;
  code: string;
  maxOccupancy: number;
  maxAdults: number;
}

export interface UnitFacts {
  id: string;
  propertyId: string;
  unitTypeId: string;
  name: string;
  housekeepingStatus: HousekeepingStatus;
  operationalStatus: OperationalStatus;
}

export async function ownerFacts(db: Queryable, ownerId: string): Promise<OwnerFacts | undefined> {
  const row = await ownerById(db, ownerId, everything);
  return row && { id: row.id, orgId: row.orgId, name: row.name, userId: row.userId };
}

export async function propertyFacts(db: Queryable, propertyId: string): Promise<PropertyFacts | undefined> {
  const row = await propertyById(db, propertyId, everything);
  if (!row) return undefined;
  const view = toProperty(row);
  return {
    id: view.id,
    orgId: row.orgId,
    ownerId: view.ownerId,
    name: view.name,
    category: view.category,
    propertyType: view.propertyType,
    city: view.city,
    region: view.region,
    country: view.country,
    latitude: view.latitude,
    longitude: view.longitude,
    timeZone: view.timeZone,
    currency: view.currency,
    checkInTime: view.checkInTime,
    checkOutTime: view.checkOutTime,
    amenities: view.amenities,
    images: view.images,
  };
}

export async function unitTypeFacts(db: Queryable, unitTypeId: string): Promise<UnitTypeFacts | undefined> {
  const row = await unitTypeById(db, unitTypeId, everything);
  if (!row) return undefined;
  const { id, propertyId, name, code, maxOccupancy, maxAdults } = row;
  return { id, propertyId, name, code, maxOccupancy, maxAdults };
}

function toFacts(row: UnitRow): UnitFacts {
  const { id, propertyId, unitTypeId, name, housekeepingStatus, operationalStatus } = toUnit(row);
  return { id, propertyId, unitTypeId, name, housekeepingStatus, operationalStatus };
}

export async function unitFacts(db: Queryable, unitId: string): Promise<UnitFacts | undefined> {
  const row = await unitById(db, unitId, everything);
  return row && toFacts(row);
}

/** Every unit of the type, ordered by name. */
export async function unitsOfType(db: Queryable, unitTypeId: string): Promise<UnitFacts[]> {
  return (await unitRowsOfType(db, unitTypeId)).map(toFacts);
}
