import type { TenureModule } from '../../platform/module.ts';
import { auditAccess, operationsAccess } from './access.ts';
import { actingOrganization } from './organizations.ts';
import { organizationsRoutes } from './routes.ts';
import { roleOf } from './store.ts';

/**
 * Organizations, memberships, invitations and the permission matrix.
 *
 * Other modules guard their routes with `requirePermission(resource, action)` and apply the
 * granted scope (`accessOf(request).scope`: all, own or assigned) to the rows they touch.
 */
export { accessOf, permittedAccess, platformOrganizationId, requirePermission, type Access } from './access.ts';
export { joinAsCustomer } from './customer-membership.ts';
export { organizationIdsOfUser } from './organizations.ts';
export { allOrganizationIds } from './store.ts';
export { bootstrapPlatformAdmin, grantPlatformAdmin, type PlatformAdminOutcome } from './platform-admins.ts';
export { actionsOf, permissionMatrix, roles, type ActionOf, type Resource, type Role, type Scope } from './permissions.ts';

export const organizationsModule: TenureModule = {
  name: 'organizations',
  routes: organizationsRoutes,
  memberships: {
    roleOf: (db, member) => roleOf(db, { organizationId: member.orgId, userId: member.userId }),
    actingOrganization,
    auditAccess,
    operationsAccess,
  },
};
