import type { FastifyRequest } from 'fastify';
import { type Caller, callerOfRequest } from '../../platform/audit/change.ts';
import { accessOf } from '../organizations/index.ts';
import type { Category, HousekeepingStatus, OperationalStatus, OwnerReply, PropertyReply, UnitReply, UnitTypeReply } from './schemas.ts';
import type { OwnerRow, PropertyRow, Reach, UnitRow, UnitTypeRow } from './store.ts';

/** Who acts on the inventory: in which organization, recorded as whom, reaching which rows. */
export interface Acting {
  orgId: string;
  caller: Caller;
  reach: Reach;
}

/** The acting caller of a route guarded by `requirePermission`, with the scope it granted. */
export function actingOf(request: FastifyRequest): Acting {
  const access = accessOf(request);
  return {
    orgId: access.orgId,
    caller: callerOfRequest(request),
    reach: access.scope === 'all' ? { kind: 'all' } : { kind: 'own', userId: access.userId },
  };
}

export function toOwner(row: OwnerRow): OwnerReply {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    phone: row.phone,
    userId: row.userId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const hoursAndMinutes = (time: string) => time.slice(0, 5);
const coordinate = (value: string | null) => (value === null ? null : Number(value));

export function toProperty(row: PropertyRow): PropertyReply {
  return {
    id: row.id,
    ownerId: row.ownerId,
    name: row.name,
    category: row.category as Category,
    propertyType: row.propertyType,
    addressLine1: row.addressLine1,
    addressLine2: row.addressLine2,
    city: row.city,
    region: row.region,
    postalCode: row.postalCode,
    country: row.country,
    latitude: coordinate(row.latitude),
    longitude: coordinate(row.longitude),
    timeZone: row.timeZone,
    currency: row.currency,
    checkInTime: hoursAndMinutes(row.checkInTime),
    checkOutTime: hoursAndMinutes(row.checkOutTime),
    amenities: row.amenities,
    images: row.images as PropertyReply['images'],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toUnitType(row: UnitTypeRow): UnitTypeReply {
  return {
    id: row.id,
    propertyId: row.propertyId,
    name: row.name,
    code: row.code,
    description: row.description,
    maxOccupancy: row.maxOccupancy,
    maxAdults: row.maxAdults,
    beds: row.beds as UnitTypeReply['beds'],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function toUnit(row: UnitRow): UnitReply {
  return {
    id: row.id,
    propertyId: row.propertyId,
    unitTypeId: row.unitTypeId,
    name: row.name,
    floor: row.floor,
    housekeepingStatus: row.housekeepingStatus as HousekeepingStatus,
    operationalStatus: row.operationalStatus as OperationalStatus,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The state an audit entry records: the object as the API shows it, without its timestamps. */
export function auditState(view: { createdAt: string; updatedAt: string } & Record<string, unknown>): Record<string, unknown> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...state } = view;
  return state;
}
