import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows, escapeLike } from '../../platform/db/queries.ts';
import type { Property, PropertyOwner, Unit, UnitType } from '../../platform/db/schema.ts';

/** The inventory module's SQL: its own tables only. Row-level security keeps every query in the acting organization. */

export type OwnerRow = Selectable<PropertyOwner>;
export type PropertyRow = Selectable<Property>;
export type UnitTypeRow = Selectable<UnitType>;
export type UnitRow = Selectable<Unit>;

/**
 * The rows a caller reaches: all of the organization's, or only those of the properties whose
 * owner row is the caller's login (the `own` scope of an `owner` member).
 */
export type Reach = { kind: 'all' } | { kind: 'own'; userId: string };

export const everything: Reach = { kind: 'all' };

const ownerIdsOf = (db: Queryable, userId: string) =>
  db.selectFrom('propertyOwner').select('propertyOwner.id').where('propertyOwner.userId', '=', userId);

const propertyIdsOf = (db: Queryable, userId: string) =>
  db.selectFrom('property').select('property.id').where('property.ownerId', 'in', ownerIdsOf(db, userId));

/** A PostgreSQL unique violation, with its constraint's name. */
export function uniqueViolation(error: unknown): string | undefined {
  const pgError = error as { code?: unknown; constraint?: unknown };
  return pgError.code === '23505' && typeof pgError.constraint === 'string' ? pgError.constraint : undefined;
}

/** A PostgreSQL foreign key violation: the row referred to is gone. */
export function foreignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown }).code === '23503';
}

// --- owners ---------------------------------------------------------------------------------------

export function insertOwner(tx: Tx, owner: Insertable<PropertyOwner>): Promise<OwnerRow> {
  return tx.insertInto('propertyOwner').values(owner).returningAll().executeTakeFirstOrThrow();
}

export function ownerById(db: Queryable, id: string, reach: Reach, options: { forUpdate?: boolean } = {}): Promise<OwnerRow | undefined> {
  let query = db.selectFrom('propertyOwner').selectAll().where('id', '=', id);
  if (reach.kind === 'own') query = query.where('userId', '=', reach.userId);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function updateOwner(tx: Tx, id: string, changes: Updateable<PropertyOwner>): Promise<OwnerRow> {
  return tx
    .updateTable('propertyOwner')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteOwner(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('propertyOwner').where('id', '=', id).execute();
}

export async function ownerHasProperties(db: Queryable, ownerId: string): Promise<boolean> {
  const row = await db.selectFrom('property').select('id').where('ownerId', '=', ownerId).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listOwners(
  db: Queryable,
  reach: Reach,
  query: { q?: string; limit: number; offset: number },
): Promise<{ rows: OwnerRow[]; total: number }> {
  let base = db.selectFrom('propertyOwner');
  if (reach.kind === 'own') base = base.where('userId', '=', reach.userId);
  if (query.q !== undefined) {
    const pattern = `%${escapeLike(query.q)}%`;
    base = base.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('email', 'ilike', pattern)]));
  }
  const rows = await base.selectAll().orderBy('name').orderBy('id').limit(query.limit).offset(query.offset).execute();
  return { rows, total: await countRows(base) };
}

// --- properties -----------------------------------------------------------------------------------

export function insertProperty(tx: Tx, property: Insertable<Property>): Promise<PropertyRow> {
  return tx.insertInto('property').values(property).returningAll().executeTakeFirstOrThrow();
}

export function propertyById(
  db: Queryable,
  id: string,
  reach: Reach,
  options: { forUpdate?: boolean } = {},
): Promise<PropertyRow | undefined> {
  let query = db.selectFrom('property').selectAll().where('id', '=', id);
  if (reach.kind === 'own') query = query.where('ownerId', 'in', ownerIdsOf(db, reach.userId));
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function updateProperty(tx: Tx, id: string, changes: Updateable<Property>): Promise<PropertyRow> {
  return tx
    .updateTable('property')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteProperty(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('property').where('id', '=', id).execute();
}

export async function propertyHasUnits(db: Queryable, propertyId: string): Promise<boolean> {
  const row = await db.selectFrom('unit').select('id').where('propertyId', '=', propertyId).limit(1).executeTakeFirst();
  return row !== undefined;
}

export async function listProperties(
  db: Queryable,
  reach: Reach,
  query: { category?: string; city?: string; ownerId?: string; limit: number; offset: number },
): Promise<{ rows: PropertyRow[]; total: number }> {
  let base = db.selectFrom('property');
  if (reach.kind === 'own') base = base.where('ownerId', 'in', ownerIdsOf(db, reach.userId));
  if (query.category !== undefined) base = base.where('category', '=', query.category);
  if (query.city !== undefined) base = base.where((eb) => eb(eb.fn('lower', ['city']), '=', query.city!.toLowerCase()));
  if (query.ownerId !== undefined) base = base.where('ownerId', '=', query.ownerId);
  const rows = await base.selectAll().orderBy('name').orderBy('id').limit(query.limit).offset(query.offset).execute();
  return { rows, total: await countRows(base) };
}

/** The owner whose login is this user, in the acting organization (one at most): an `owner` member's own owner record. */
export async function ownerIdOfUser(db: Queryable, userId: string): Promise<string | null> {
  const row = await ownerIdsOf(db, userId).executeTakeFirst();
  return row?.id ?? null;
}

/** The properties whose owner row is this user's login. */
export async function propertyIdsOwnedBy(db: Queryable, userId: string): Promise<string[]> {
  const rows = await propertyIdsOf(db, userId).orderBy('property.id').execute();
  return rows.map((row) => row.id);
}

// --- unit types -----------------------------------------------------------------------------------

export function insertUnitType(tx: Tx, unitType: Insertable<UnitType>): Promise<UnitTypeRow> {
  return tx.insertInto('unitType').values(unitType).returningAll().executeTakeFirstOrThrow();
}

export function unitTypeById(
  db: Queryable,
  id: string,
  reach: Reach,
  options: { forUpdate?: boolean } = {},
): Promise<UnitTypeRow | undefined> {
  let query = db.selectFrom('unitType').selectAll().where('id', '=', id);
  if (reach.kind === 'own') query = query.where('propertyId', 'in', propertyIdsOf(db, reach.userId));
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function updateUnitType(tx: Tx, id: string, changes: Updateable<UnitType>): Promise<UnitTypeRow> {
  return tx
    .updateTable('unitType')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteUnitType(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('unitType').where('id', '=', id).execute();
}

export async function unitTypeHasUnits(db: Queryable, unitTypeId: string): Promise<boolean> {
  const row = await db.selectFrom('unit').select('id').where('unitTypeId', '=', unitTypeId).limit(1).executeTakeFirst();
  return row !== undefined;
}

export function unitTypesOfProperty(db: Queryable, propertyId: string): Promise<UnitTypeRow[]> {
  return db.selectFrom('unitType').selectAll().where('propertyId', '=', propertyId).orderBy('name').orderBy('id').execute();
}

export async function listUnitTypes(
  db: Queryable,
  propertyId: string,
  query: { limit: number; offset: number },
): Promise<{ rows: UnitTypeRow[]; total: number }> {
  const base = db.selectFrom('unitType').where('propertyId', '=', propertyId);
  const rows = await base.selectAll().orderBy('name').orderBy('id').limit(query.limit).offset(query.offset).execute();
  return { rows, total: await countRows(base) };
}

// --- units ----------------------------------------------------------------------------------------

export function insertUnit(tx: Tx, unit: Insertable<Unit>): Promise<UnitRow> {
  return tx.insertInto('unit').values(unit).returningAll().executeTakeFirstOrThrow();
}

export function unitById(db: Queryable, id: string, reach: Reach, options: { forUpdate?: boolean } = {}): Promise<UnitRow | undefined> {
  let query = db.selectFrom('unit').selectAll().where('id', '=', id);
  if (reach.kind === 'own') query = query.where('propertyId', 'in', propertyIdsOf(db, reach.userId));
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function updateUnit(tx: Tx, id: string, changes: Updateable<Unit>): Promise<UnitRow> {
  return tx
    .updateTable('unit')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteUnit(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('unit').where('id', '=', id).execute();
}

export function unitsOfType(db: Queryable, unitTypeId: string): Promise<UnitRow[]> {
  return db.selectFrom('unit').selectAll().where('unitTypeId', '=', unitTypeId).orderBy('name').orderBy('id').execute();
}

export async function listUnits(
  db: Queryable,
  propertyId: string,
  query: { unitTypeId?: string; housekeepingStatus?: string; operationalStatus?: string; floor?: string; limit: number; offset: number },
): Promise<{ rows: UnitRow[]; total: number }> {
  let base = db.selectFrom('unit').where('propertyId', '=', propertyId);
  if (query.unitTypeId !== undefined) base = base.where('unitTypeId', '=', query.unitTypeId);
  if (query.housekeepingStatus !== undefined) base = base.where('housekeepingStatus', '=', query.housekeepingStatus);
  if (query.operationalStatus !== undefined) base = base.where('operationalStatus', '=', query.operationalStatus);
  if (query.floor !== undefined) base = base.where('floor', '=', query.floor);
  const rows = await base.selectAll().orderBy('name').orderBy('id').limit(query.limit).offset(query.offset).execute();
  return { rows, total: await countRows(base) };
}
