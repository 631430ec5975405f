import { recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { inventoryErrors } from './errors.ts';
import type { CreateOwnerBody, OwnerListQuery, OwnerReply, UpdateOwnerBody } from './schemas.ts';
import {
  deleteOwner as deleteOwnerRow,
  insertOwner,
  listOwners as listOwnerRows,
  ownerById,
  ownerHasProperties,
  type Reach,
  uniqueViolation,
  updateOwner as updateOwnerRow,
} from './store.ts';
import { type Acting, auditState, toOwner } from './views.ts';

const source = 'inventory';

function ownerUserTaken(error: unknown): never {
  if (uniqueViolation(error) === 'property_owner_user_idx') {
    throw inventoryErrors.raise('owner_user_taken', 'Each login is the login of one property owner at most');
  }
  throw error;
}

export async function createOwner(tx: Tx, acting: Acting, body: CreateOwnerBody): Promise<OwnerReply> {
  const id = uuidv7();
  const row = await insertOwner(tx, {
    id,
    orgId: acting.orgId,
    name: body.name,
    email: body.email ?? null,
    phone: body.phone ?? null,
    userId: body.userId ?? null,
  }).catch(ownerUserTaken);
  const owner = toOwner(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'CREATE',
    entityType: 'property_owner',
    entityId: id,
    after: auditState(owner),
    event: { type: 'property_owner.created', source, data: { ownerId: id, name: owner.name, userId: owner.userId } },
  });
  return owner;
}

export async function getOwner(db: Queryable, reach: Reach, ownerId: string): Promise<OwnerReply> {
  const row = await ownerById(db, ownerId, reach);
  if (!row) throw inventoryErrors.raise('owner_not_found');
  return toOwner(row);
}

export async function listOwners(db: Queryable, reach: Reach, query: OwnerListQuery): Promise<{ data: OwnerReply[]; total: number }> {
  const { rows, total } = await listOwnerRows(db, reach, { q: query.q, ...offsetOf(query) });
  return { data: rows.map(toOwner), total };
}

export async function updateOwner(tx: Tx, acting: Acting, ownerId: string, body: UpdateOwnerBody): Promise<OwnerReply> {
  const current = await ownerById(tx, ownerId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('owner_not_found');
  const row = await updateOwnerRow(tx, ownerId, {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.email !== undefined ? { email: body.email } : {}),
    ...(body.phone !== undefined ? { phone: body.phone } : {}),
    ...(body.userId !== undefined ? { userId: body.userId } : {}),
  }).catch(ownerUserTaken);
  const before = toOwner(current);
  const owner = toOwner(row);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'UPDATE',
    entityType: 'property_owner',
    entityId: ownerId,
    before: auditState(before),
    after: auditState(owner),
    event: { type: 'property_owner.updated', source, data: { ownerId, name: owner.name, userId: owner.userId } },
  });
  return owner;
}

export async function deleteOwner(tx: Tx, acting: Acting, ownerId: string): Promise<void> {
  const current = await ownerById(tx, ownerId, acting.reach, { forUpdate: true });
  if (!current) throw inventoryErrors.raise('owner_not_found');
  if (await ownerHasProperties(tx, ownerId)) {
    throw inventoryErrors.raise('owner_has_properties', 'Give its properties another owner, or delete them, first');
  }
  await deleteOwnerRow(tx, ownerId);
  await recordChange(tx, acting.caller, {
    orgId: acting.orgId,
    action: 'DELETE',
    entityType: 'property_owner',
    entityId: ownerId,
    before: auditState(toOwner(current)),
    event: { type: 'property_owner.deleted', source, data: { ownerId } },
  });
}
