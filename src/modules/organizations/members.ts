import type { Queryable, Tx } from '../../platform/db/database.ts';
import { type Caller, recordChange } from './audit.ts';
import { membershipErrors, organizationErrors } from './errors.ts';
import { authorizeIn } from './organizations.ts';
import { adminRoles, canAssignRole, type Role } from './permissions.ts';
import type { MemberListReply, MemberReply } from './schemas.ts';
import {
  countAdmins,
  deleteMembership,
  lockOrganization,
  membersOf,
  membershipOf,
  type MembershipRow,
  updateMembershipRole,
} from './store.ts';

const toMemberReply = (row: MembershipRow): MemberReply => ({
  userId: row.userId,
  organizationId: row.organizationId,
  role: row.role,
  createdAt: row.createdAt.toISOString(),
});

export async function listMembers(db: Queryable, options: { caller: Caller; organizationId: string }): Promise<MemberListReply> {
  await authorizeIn(db, { userId: options.caller.userId, organizationId: options.organizationId, resource: 'members', action: 'read' });
  return { data: (await membersOf(db, options.organizationId)).map(toMemberReply) };
}

/** The target membership, with the organization locked so changes to its admins take turns. */
async function lockedTarget(tx: Tx, organizationId: string, userId: string): Promise<MembershipRow> {
  await lockOrganization(tx, organizationId);
  const target = await membershipOf(tx, { organizationId, userId }, { forUpdate: true });
  if (!target) throw membershipErrors.raise('not_found');
  return target;
}

async function assertAnotherAdminRemains(tx: Tx, target: MembershipRow): Promise<void> {
  if (!adminRoles.includes(target.role)) return;
  if ((await countAdmins(tx, target.organizationId)) <= 1) {
    throw membershipErrors.raise('last_admin', 'Make another member an admin first');
  }
}

/**
 * Changes a member's role. Only a super_admin grants or revokes super_admin; the last admin keeps
 * an admin role. The new role applies from the member's next request: the role is read from the
 * membership on every request (the token's `role` claim is only a hint), so no token needs ending.
 */
export async function changeRole(
  tx: Tx,
  options: { caller: Caller; organizationId: string; userId: string; role: Role },
): Promise<MemberReply> {
  const { caller, organizationId, userId, role } = options;
  const callerRole = await authorizeIn(tx, { userId: caller.userId, organizationId, resource: 'members', action: 'update' });
  const target = await lockedTarget(tx, organizationId, userId);
  if (target.role === role) return toMemberReply(target);
  if (!canAssignRole(callerRole, role) || !canAssignRole(callerRole, target.role)) {
    throw membershipErrors.raise('role_not_grantable', `The role ${callerRole} cannot change ${target.role} to ${role}`);
  }
  if (!adminRoles.includes(role)) await assertAnotherAdminRemains(tx, target);
  const after = await updateMembershipRole(tx, { organizationId, userId }, role);
  await recordChange(tx, caller, {
    organizationId,
    role: callerRole,
    action: 'PERMISSION_CHANGE',
    entityType: 'membership',
    entityId: `${organizationId}:${userId}`,
    before: { role: target.role },
    after: { role: after.role },
    event: {
      type: 'membership.role_changed',
      aggregate: { type: 'organization', id: organizationId },
      data: { organizationId, userId, from: target.role, to: after.role },
    },
  });
  return toMemberReply(after);
}

/** Removes a member (any member may leave); never the last admin. */
export async function removeMember(tx: Tx, options: { caller: Caller; organizationId: string; userId: string }): Promise<void> {
  const { caller, organizationId, userId } = options;
  // Any member may leave; removing someone else needs members:delete.
  const callerRole =
    userId === caller.userId
      ? await authorizeIn(tx, { userId: caller.userId, organizationId, resource: 'organization', action: 'read' }).catch(async () => {
          const own = await membershipOf(tx, { organizationId, userId });
          if (!own) throw organizationErrors.raise('not_found');
          return own.role;
        })
      : await authorizeIn(tx, { userId: caller.userId, organizationId, resource: 'members', action: 'delete' });
  const target = await lockedTarget(tx, organizationId, userId);
  if (!canAssignRole(callerRole, target.role)) {
    throw membershipErrors.raise('role_not_grantable', `The role ${callerRole} cannot remove a ${target.role}`);
  }
  await assertAnotherAdminRemains(tx, target);
  await deleteMembership(tx, { organizationId, userId });
  await recordChange(tx, caller, {
    organizationId,
    role: callerRole,
    action: 'DELETE',
    entityType: 'membership',
    entityId: `${organizationId}:${userId}`,
    before: { organizationId, userId, role: target.role },
    event: {
      type: 'membership.removed',
      aggregate: { type: 'organization', id: organizationId },
      data: { organizationId, userId, role: target.role },
    },
  });
}
