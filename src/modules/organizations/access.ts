import type { FastifyRequest } from 'fastify';
import { requireUser } from '../../platform/http/authentication.ts';
import { accessErrors } from './errors.ts';
import { type ActionOf, isRole, type Resource, type Role, type Scope, scopeOf } from './permissions.ts';

/** The platform organization, created by migration 0005: its admins act across organizations. */
export const platformOrganizationId = '00000000-0000-7000-8000-000000000001';

/** What the caller may do, as decided for this request by `requirePermission`. */
export interface Access {
  userId: string;
  orgId: string;
  role: Role;
  /** The rows the action may touch: the module applies `own` and `assigned` to its queries. */
  scope: Scope;
  inPlatform: boolean;
}

const decided = new WeakMap<FastifyRequest, Access>();

/**
 * The caller's acting organization and role. The role is the membership's as read for this
 * request (see `currentRole` in src/platform/http/authentication.ts), not the token's claim, so a
 * role change or a removal applies from the caller's next request.
 */
export function actingOf(request: FastifyRequest): { userId: string; orgId: string; role: Role; inPlatform: boolean } | undefined {
  const principal = request.principal;
  if (!principal?.orgId || !isRole(principal.role)) return undefined;
  const { userId, orgId, role } = principal;
  return { userId, orgId, role, inPlatform: orgId === platformOrganizationId };
}

/**
 * A preHandler for routes that need a permission of the matrix in the acting organization:
 * `{ preHandler: requirePermission('bookings', 'check_in') }`. Refuses with 401 when anonymous,
 * 403 `access.no_organization` when acting in none, and 403 `access.denied` when the role may not.
 */
export function requirePermission<R extends Resource>(resourceName: R, action: ActionOf<R>) {
  return async (request: FastifyRequest): Promise<void> => {
    await requireUser(request);
    const acting = actingOf(request);
    if (!acting) throw accessErrors.raise('no_organization', 'Switch to an organization with POST /v1/organizations/{id}/switch');
    const scope = scopeOf(acting.role, resourceName, action, acting);
    if (!scope) throw accessErrors.raise('denied', `The role ${acting.role} may not ${action} ${resourceName}`);
    decided.set(request, { ...acting, scope });
  };
}

/**
 * For routes anyone may call that show staff more: the caller's access when their role holds the
 * permission in their acting organization (then also `accessOf(request)`), undefined when they are
 * anonymous, act in no organization, or may not.
 */
export function permittedAccess<R extends Resource>(request: FastifyRequest, resourceName: R, action: ActionOf<R>): Access | undefined {
  const acting = actingOf(request);
  const scope = acting && scopeOf(acting.role, resourceName, action, acting);
  if (!acting || !scope) return undefined;
  const access = { ...acting, scope };
  decided.set(request, access);
  return access;
}

/** The access `requirePermission` granted this request. */
export function accessOf(request: FastifyRequest): Access {
  const access = decided.get(request);
  if (!access) throw new Error('accessOf() on a route without requirePermission');
  return access;
}

/**
 * Who reads the audit log: a signed-in user needs `audit_logs:read` in the acting organization and
 * reads that organization's entries; an admin of the platform organization reads every one.
 */
export const auditAccess = {
  guard: requirePermission('audit_logs', 'read'),
  orgScope(request: FastifyRequest): string | null {
    const access = accessOf(request);
    return access.inPlatform && (access.role === 'admin' || access.role === 'super_admin') ? null : access.orgId;
  },
};

/**
 * Who operates the platform besides the operator token: an admin acting in the platform
 * organization (`platform_operations` is platform-only in the matrix).
 */
export const operationsAccess = {
  read: requirePermission('platform_operations', 'read'),
  redrive: requirePermission('platform_operations', 'redrive'),
};
