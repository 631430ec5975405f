import type { Updateable } from 'kysely';
import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import type { Unit, UnitType } from '../../platform/db/schema.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { inventoryErrors } from './errors.ts';
import type {
  CreateUnitBody,
  CreateUnitTypeBody,
  HousekeepingStatus,
  OperationalStatus,
  UnitListQuery,
  UnitReply,
  UnitTypeListQuery,
  UnitTypeReply,
  UpdateUnitBody,
  UpdateUnitTypeBody,
} from './schemas.ts';
import {
  deleteUnit as deleteUnitRow,
  deleteUnitType as deleteUnitTypeRow,
  everything,
  foreignKeyViolation,
  insertUnit,
  insertUnitType,
  listUnits as listUnitRows,
  listUnitTypes as listUnitTypeRows,
  propertyById,
  type Reach,
  uniqueViolation,
  unitById,
  unitTypeById,
  unitTypeHasUnits,
  updateUnit as updateUnitRow,
  updateUnitType as updateUnitTypeRow,
} from './store.ts';
import { type Acting, auditState, toUnit, toUnitType } from './views.ts';

const source = 'inventory';

function codeTaken(error: unknown): never {
  if (uniqueViolation(error) === 'unit_type_property_id_code_key') {
    throw inventoryErrors.raise('unit_type_code_taken', 'Unit type codes are unique within a property', {
      errors: [{ path: 'body.code', message: 'Already used in this property', code: 'taken' }],
    });
  }
  // The property was deleted by a transaction that committed while this one waited on its row.
  if (foreignKeyViolation(error)) throw inventoryErrors.raise('property_not_found');
  throw error;
}

function nameTaken(error: unknown): never {
  if (uniqueViolation(error) === 'unit_property_id_name_key') {
    throw inventoryErrors.raise('unit_name_taken', 'Unit names are unique within a property', {
      errors: [{ path: 'body.name', message: 'Already used in this property', code: 'taken' }],
    });
  }
  // The unit type was deleted by a transaction that committed while this one waited on its row.
  if (foreignKeyViolation(error)) throw inventoryErrors.raise('unit_type_not_in_property', 'The unit type was just deleted');
  throw error;
}

async function requireProperty(db: Queryable, reach: Reach, propertyId: string, options: { forUpdate?: boolean } = {}) {
  const property = await propertyById(db, propertyId, reach, options);
  if (!property) throw inventoryErrors.raise('property_not_found');
  return property;
}

// --- unit types -----------------------------------------------------------------------------------

export async function createUnitType(tx: Tx, acting: Acting, propertyId: string, body: CreateUnitTypeBody): Promise<UnitTypeReply> {
  await requireProperty(tx, acting.reach, propertyId);
  const id = uuidv7();
  const row = await insertUnitType(tx, {
    id,
    orgId: acting.orgId,
    propertyId,
    name: body.name,
    code: body.code,
    description: body.description || null,
    maxOccupancy: body.maxOccupancy,
    maxAdults: body.maxAdults,
    beds: JSON.stringify(body.beds ?? []),
  }).catch(codeTaken);
  const unitType = toUnitType(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'CREATE',
    entityType: 'unit_type',
    entityId: id,
    after: auditState(unitType),
    event: {
      type: 'unit_type.created',
      source,
      data: { unitTypeId: id, propertyId, code: unitType.code, maxOccupancy: unitType.maxOccupancy, maxAdults: unitType.maxAdults },
    },
  });
  return unitType;
}

export async function getUnitType(db: Queryable, reach: Reach, unitTypeId: string): Promise<UnitTypeReply> {
  const row = await unitTypeById(db, unitTypeId, reach);
  if (!row) throw inventoryErrors.raise('unit_type_not_found');
  return toUnitType(row);
}

export async function listUnitTypes(
  db: Queryable,
  reach: Reach,
  propertyId: string,
  query: UnitTypeListQuery,
): Promise<{ data: UnitTypeReply[]; total: number }> {
  await requireProperty(db, reach, propertyId);
  const { rows, total } = await listUnitTypeRows(db, propertyId, offsetOf(query));
  return { data: rows.map(toUnitType), total };
}

export async function updateUnitType(tx: Tx, acting: Acting, unitTypeId: string, body: UpdateUnitTypeBody): Promise<UnitTypeReply> {
  const current = await unitTypeById(tx, unitTypeId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('unit_type_not_found');
  const maxOccupancy = body.maxOccupancy ?? current.maxOccupancy;
  const maxAdults = body.maxAdults ?? current.maxAdults;
  if (maxAdults > maxOccupancy) {
    throw inventoryErrors.raise('capacity_invalid', `maxAdults ${maxAdults} exceeds maxOccupancy ${maxOccupancy}`, {
      errors: [{ path: 'body.maxAdults', message: 'Cannot exceed maxOccupancy', code: 'too_big' }],
    });
  }
  const changes: Updateable<UnitType> = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.code !== undefined) changes.code = body.code;
  if (body.description !== undefined) changes.description = body.description || null;
  if (body.maxOccupancy !== undefined) changes.maxOccupancy = body.maxOccupancy;
  if (body.maxAdults !== undefined) changes.maxAdults = body.maxAdults;
  if (body.beds !== undefined) changes.beds = JSON.stringify(body.beds);
  const row = await updateUnitTypeRow(tx, unitTypeId, changes).catch(codeTaken);
  const unitType = toUnitType(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'UPDATE',
    entityType: 'unit_type',
    entityId: unitTypeId,
    before: auditState(toUnitType(current)),
    after: auditState(unitType),
    event: {
      type: 'unit_type.updated',
      source,
      data: {
        unitTypeId,
        propertyId: unitType.propertyId,
        code: unitType.code,
        maxOccupancy: unitType.maxOccupancy,
        maxAdults: unitType.maxAdults,
      },
    },
  });
  return unitType;
}

export async function deleteUnitType(tx: Tx, acting: Acting, unitTypeId: string): Promise<void> {
  const current = await unitTypeById(tx, unitTypeId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('unit_type_not_found');
  if (await unitTypeHasUnits(tx, unitTypeId))
    throw inventoryErrors.raise('unit_type_in_use', 'Delete its units, or change their type, first');
  await deleteUnitTypeRow(tx, unitTypeId);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'DELETE',
    entityType: 'unit_type',
    entityId: unitTypeId,
    before: auditState(toUnitType(current)),
    event: { type: 'unit_type.deleted', source, data: { unitTypeId, propertyId: current.propertyId } },
  });
}

// --- units ----------------------------------------------------------------------------------------

/** The unit type, which must be one of the property's. */
async function requireTypeOfProperty(tx: Tx, acting: Acting, propertyId: string, unitTypeId: string): Promise<void> {
  const unitType = await unitTypeById(tx, unitTypeId, acting.reach);
  if (unitType?.propertyId !== propertyId) {
    throw inventoryErrors.raise('unit_type_not_in_property', `Unit type ${unitTypeId} is not one of this property's`, {
      errors: [{ path: 'body.unitTypeId', message: "Not one of the property's unit types", code: 'unknown' }],
    });
  }
}

export async function createUnit(tx: Tx, acting: Acting, propertyId: string, body: CreateUnitBody): Promise<UnitReply> {
  // Locked: the property's currency and time zone stay as they are while it gains a unit.
  await requireProperty(tx, acting.reach, propertyId, { forUpdate: true });
  await requireTypeOfProperty(tx, acting, propertyId, body.unitTypeId);
  const id = uuidv7();
  const row = await insertUnit(tx, {
    id,
    orgId: acting.orgId,
    propertyId,
    unitTypeId: body.unitTypeId,
    name: body.name,
    floor: body.floor || null,
  }).catch(nameTaken);
  const unit = toUnit(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'CREATE',
    entityType: 'unit',
    entityId: id,
    after: auditState(unit),
    event: { type: 'unit.created', source, data: { unitId: id, propertyId, unitTypeId: unit.unitTypeId, name: unit.name } },
  });
  return unit;
}

export async function getUnit(db: Queryable, reach: Reach, unitId: string): Promise<UnitReply> {
  const row = await unitById(db, unitId, reach);
  if (!row) throw inventoryErrors.raise('unit_not_found');
  return toUnit(row);
}

export async function listUnits(
  db: Queryable,
  reach: Reach,
  propertyId: string,
  query: UnitListQuery,
): Promise<{ data: UnitReply[]; total: number }> {
  await requireProperty(db, reach, propertyId);
  const { rows, total } = await listUnitRows(db, propertyId, {
    unitTypeId: query.unitTypeId,
    housekeepingStatus: query.housekeepingStatus,
    operationalStatus: query.operationalStatus,
    floor: query.floor,
    ...offsetOf(query),
  });
  return { data: rows.map(toUnit), total };
}

export async function updateUnit(tx: Tx, acting: Acting, unitId: string, body: UpdateUnitBody): Promise<UnitReply> {
  const current = await unitById(tx, unitId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('unit_not_found');
  if (body.unitTypeId !== undefined) await requireTypeOfProperty(tx, acting, current.propertyId, body.unitTypeId);
  const changes: Updateable<Unit> = {};
  if (body.name !== undefined) changes.name = body.name;
  if (body.floor !== undefined) changes.floor = body.floor || null;
  if (body.unitTypeId !== undefined) changes.unitTypeId = body.unitTypeId;
  const row = await updateUnitRow(tx, unitId, changes).catch(nameTaken);
  const unit = toUnit(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'UPDATE',
    entityType: 'unit',
    entityId: unitId,
    before: auditState(toUnit(current)),
    after: auditState(unit),
    event: { type: 'unit.updated', source, data: { unitId, propertyId: unit.propertyId, unitTypeId: unit.unitTypeId, name: unit.name } },
  });
  return unit;
}

export async function deleteUnit(tx: Tx, acting: Acting, unitId: string): Promise<void> {
  const current = await unitById(tx, unitId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('unit_not_found');
  try {
    await deleteUnitRow(tx, unitId);
  } catch (error) {
    if (foreignKeyViolation(error)) throw inventoryErrors.raise('unit_has_stays', 'Set it out of service instead');
    throw error;
  }
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'DELETE',
    entityType: 'unit',
    entityId: unitId,
    before: auditState(toUnit(current)),
    event: { type: 'unit.deleted', source, data: { unitId, propertyId: current.propertyId, unitTypeId: current.unitTypeId } },
  });
}

/**
 * Sets a unit's housekeeping status. A unit is marked inspected only after it was cleaned: an
 * inspection checks the cleaning, so a dirty unit cannot skip it. Setting the status it has already
 * changes nothing and records nothing.
 */
export async function setHousekeepingStatus(
  tx: Tx,
  who: { caller: Caller; reach: Reach },
  unitId: string,
  status: HousekeepingStatus,
): Promise<UnitReply> {
  const current = await unitById(tx, unitId, who.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('unit_not_found');
  if (current.housekeepingStatus === status) return toUnit(current);
  if (status === 'inspected' && current.housekeepingStatus !== 'clean') {
    throw inventoryErrors.raise('inspection_requires_clean', `The unit is ${current.housekeepingStatus}: clean it before it is inspected`);
  }
  const row = await updateUnitRow(tx, unitId, { housekeepingStatus: status });
  const unit = toUnit(row);
  await recordChange(tx, who.caller, {
    orgId: current.orgId,
    action: 'HOUSEKEEPING',
    entityType: 'unit',
    entityId: unitId,
    before: { housekeepingStatus: current.housekeepingStatus },
    after: { housekeepingStatus: status },
    event: {
      type: 'unit.housekeeping_changed',
      source,
      data: { unitId, propertyId: unit.propertyId, from: current.housekeepingStatus, to: status },
    },
  });
  return unit;
}

/** On check-out: the unit needs cleaning. Acts in the transaction's organization, for any caller. */
export async function markUnitDirty(tx: Tx, unitId: string, actor: Caller): Promise<void> {
  await setHousekeepingStatus(tx, { caller: actor, reach: everything }, unitId, 'dirty');
}

export async function setOperationalStatus(
  tx: Tx,
  acting: Acting,
  unitId: string,
  change: { status: OperationalStatus; note?: string | null },
): Promise<UnitReply> {
  const current = await unitById(tx, unitId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('unit_not_found');
  const note = change.note || null;
  const row = current.operationalStatus === change.status ? current : await updateUnitRow(tx, unitId, { operationalStatus: change.status });
  const unit = toUnit(row);
  if (current.operationalStatus === change.status && note === null) return unit;
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'MAINTENANCE',
    entityType: 'unit',
    entityId: unitId,
    before: { operationalStatus: current.operationalStatus },
    after: { operationalStatus: change.status, note },
    event: {
      type: 'unit.operational_status_changed',
      source,
      data: { unitId, propertyId: unit.propertyId, from: current.operationalStatus, to: change.status, note },
    },
  });
  return unit;
}
