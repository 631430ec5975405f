import type { Config } from '../../platform/config.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { signSessionAccessToken } from '../identity/index.ts';
import { platformOrganizationId } from './access.ts';
import { type Caller, recordChange } from './audit.ts';
import { accessErrors, organizationErrors } from './errors.ts';
import { type ActionOf, grantOf, isPlatformOnly, type Resource, resources, type Role, scopeOf } from './permissions.ts';
import type { CreateOrganizationBody, OrganizationListReply, OrganizationReply, PermissionsReply, SwitchReply } from './schemas.ts';
import {
  actingMembership,
  insertMembership,
  insertOrganization,
  membershipOf,
  organizationById,
  organizationsOfUser,
  setActingOrganization,
} from './store.ts';

/**
 * The caller's role in an organization, if it allows the action there. A non-member gets 404, as
 * if the organization did not exist; a member whose role does not allow it gets 403.
 */
export async function authorizeIn<R extends Resource>(
  db: Queryable,
  options: { userId: string; organizationId: string; resource: R; action: ActionOf<R> },
): Promise<Role> {
  const membership = await membershipOf(db, { organizationId: options.organizationId, userId: options.userId });
  if (!membership) throw organizationErrors.raise('not_found');
  const inPlatform = options.organizationId === platformOrganizationId;
  if (!scopeOf(membership.role, options.resource, options.action, { inPlatform })) {
    throw accessErrors.raise('denied', `The role ${membership.role} may not ${options.action} ${options.resource}`);
  }
  return membership.role;
}

/** Creates an organization; its creator becomes its admin. */
export async function createOrganization(tx: Tx, options: { caller: Caller; body: CreateOrganizationBody }): Promise<OrganizationReply> {
  const { caller } = options;
  const id = uuidv7();
  const organization = await insertOrganization(tx, { id, name: options.body.name });
  const membership = await insertMembership(tx, { organizationId: id, userId: caller.userId, role: 'admin' });
  const after = { id, name: organization.name, isPlatform: organization.isPlatform };
  await recordChange(tx, caller, {
    organizationId: id,
    role: 'admin',
    action: 'CREATE',
    entityType: 'organization',
    entityId: id,
    after,
    event: {
      type: 'organization.created',
      aggregate: { type: 'organization', id },
      data: { organizationId: id, name: organization.name, createdBy: caller.userId },
    },
  });
  await recordChange(tx, caller, {
    organizationId: id,
    role: 'admin',
    action: 'CREATE',
    entityType: 'membership',
    entityId: `${id}:${caller.userId}`,
    after: { organizationId: id, userId: caller.userId, role: membership.role },
    event: {
      type: 'membership.created',
      aggregate: { type: 'organization', id },
      data: { organizationId: id, userId: caller.userId, role: membership.role },
    },
  });
  return { ...after, role: membership.role };
}

/**
 * The ids of the organizations where the user holds a membership (any role), oldest membership
 * first: for reads that gather the user's own rows across organizations, one organization at a time.
 */
export async function organizationIdsOfUser(db: Queryable, userId: string): Promise<string[]> {
  return (await organizationsOfUser(db, userId)).map((row) => row.id);
}

export async function listMyOrganizations(db: Queryable, options: { userId: string }): Promise<OrganizationListReply> {
  const rows = await organizationsOfUser(db, options.userId);
  return { data: rows.map(({ id, name, isPlatform, role }) => ({ id, name, isPlatform, role })) };
}

/**
 * Makes the caller's session act in an organization they belong to and returns a new access
 * token for the same session, carrying the organization and the role held there. Later sign-ins
 * and refreshes of this session keep acting in it.
 */
export async function switchOrganization(
  tx: Tx,
  options: { caller: Caller; organizationId: string; config: Config },
): Promise<SwitchReply> {
  const { caller, organizationId, config } = options;
  const membership = await membershipOf(tx, { organizationId, userId: caller.userId });
  const organization = membership && (await organizationById(tx, organizationId));
  if (!membership || !organization) throw organizationErrors.raise('not_found');
  const before = await actingMembership(tx, { sessionId: caller.sessionId, userId: caller.userId });
  await setActingOrganization(tx, { sessionId: caller.sessionId, userId: caller.userId, organizationId });
  const principal = { userId: caller.userId, sessionId: caller.sessionId, orgId: organizationId, role: membership.role };
  const token = await signSessionAccessToken(tx, principal, config);
  await recordChange(tx, caller, {
    organizationId,
    role: membership.role,
    action: 'UPDATE',
    entityType: 'session',
    entityId: caller.sessionId,
    before: { organizationId: before?.organizationId ?? null },
    after: { organizationId, role: membership.role },
  });
  return {
    ...token,
    tokenType: 'Bearer',
    organization: { id: organization.id, name: organization.name, isPlatform: organization.isPlatform, role: membership.role },
  };
}

/** What identity signs into a session's tokens: the organization it acts in, and the role there. */
export async function actingOrganization(tx: Tx, session: { userId: string; sessionId: string }) {
  const acting = await actingMembership(tx, session);
  if (!acting) return null;
  // A new session starts where its user last switched to; it keeps that organization from now on.
  await setActingOrganization(tx, { ...session, organizationId: acting.organizationId });
  return { orgId: acting.organizationId, role: acting.role };
}

/** What the caller may do in the acting organization, for the console to shape itself. */
export function permissionsOf(acting: { orgId: string; role: Role } | undefined): PermissionsReply {
  if (!acting) return { organizationId: null, role: null, permissions: {} };
  const inPlatform = acting.orgId === platformOrganizationId;
  const permissions: PermissionsReply['permissions'] = {};
  for (const resource of resources) {
    const grant = grantOf(acting.role, resource);
    if (!grant) continue;
    const actions = grant.actions.filter((action) => inPlatform || !isPlatformOnly(resource, action));
    if (actions.length > 0) permissions[resource] = { actions, scope: grant.scope };
  }
  return { organizationId: acting.orgId, role: acting.role, permissions };
}
