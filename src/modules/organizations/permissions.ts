/**
 * Roles and the permission matrix: DATA, in this one place. Every route that needs a permission
 * names a resource and an action of this table (`requirePermission('bookings', 'check_in')`);
 * `GET /v1/permissions/me`, docs/roles-and-permissions.md and the matrix test all read it.
 *
 * The staff columns follow the hotel seed's RBAC matrix (seeds/001); `owner`, `vendor` and
 * `customer`, and the resources the other seeds add, follow DESIGN.md's vocabulary.
 *
 * A grant has a scope: `all` rows of the organization, only the caller's `own` rows (an owner's
 * properties, a customer's bookings) or those `assigned` to them (a vendor's work orders). The
 * route check only decides whether the role may do the action at all; each module applies the
 * scope to the rows it reads or changes (see `scopeOf`). Actions listed in `platformOnly` are
 * allowed only while acting in the platform organization, whose admins act across organizations.
 */

export const roles = [
  'super_admin',
  'admin',
  'manager',
  'front_desk',
  'housekeeping',
  'maintenance',
  'viewer',
  'owner',
  'vendor',
  'customer',
] as const;
export type Role = (typeof roles)[number];

/** Roles that administer an organization; every organization keeps at least one member in them. */
export const adminRoles: readonly Role[] = ['super_admin', 'admin'];

export const roleDescriptions: Record<Role, string> = {
  super_admin: 'Full access, including granting super_admin',
  admin: 'Full access to the organization, including its members',
  manager: 'Reservations, customers, money and reports; reads settings',
  front_desk: 'Check-in and check-out, bookings and customers',
  housekeeping: 'Room status and housekeeping tasks',
  maintenance: 'Maintenance requests and work orders',
  viewer: 'Reads everything, changes nothing',
  owner: 'A property owner: their properties, statements and payouts',
  vendor: 'A contractor: the work orders assigned to them',
  customer: 'Self-service: their own bookings, leases, payments and requests',
};

export type Scope = 'all' | 'own' | 'assigned';

export interface Grant<A extends string> {
  /** The actions allowed, or '*' for every action of the resource. */
  actions: readonly A[] | '*';
  scope: Scope;
}

export interface ResourceDefinition<A extends string> {
  title: string;
  actions: readonly A[];
  platformOnly?: readonly A[];
  grants: Partial<Record<Role, Grant<A>>>;
}

function resource<const A extends string>(definition: {
  title: string;
  actions: readonly A[];
  platformOnly?: readonly NoInfer<A>[];
  grants: Partial<Record<Role, Grant<NoInfer<A>>>>;
}): ResourceDefinition<A> {
  return definition;
}

const every: Grant<never> = { actions: '*', scope: 'all' };
const all = <const A extends string>(...actions: A[]): Grant<A> => ({ actions, scope: 'all' });
const own = <const A extends string>(...actions: A[]): Grant<A> => ({ actions, scope: 'own' });
const assigned = <const A extends string>(...actions: A[]): Grant<A> => ({ actions, scope: 'assigned' });

const crud = ['read', 'create', 'update', 'delete'] as const;

export const permissionMatrix = {
  // --- from the hotel seed's matrix (seeds/001) ---------------------------------------------------
  members: resource({
    title: 'Users and their memberships',
    actions: crud,
    grants: { super_admin: every, admin: every, manager: all('read'), front_desk: all('read') },
  }),
  organization: resource({
    title: 'Settings of the organization',
    actions: crud,
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read'),
      front_desk: all('read'),
      viewer: all('read'),
      owner: all('read'),
      vendor: all('read'),
      customer: all('read'),
    },
  }),
  properties: resource({
    title: 'Properties',
    actions: crud,
    grants: {
      super_admin: every,
      // The seed's hotel matrix gives admins RU here; an organization's creator is its admin and
      // must be able to set up its properties, so admins have every action.
      admin: every,
      manager: all('read'),
      front_desk: all('read'),
      housekeeping: all('read'),
      maintenance: all('read'),
      viewer: all('read'),
      owner: own('read'),
    },
  }),
  units: resource({
    title: 'Rooms and units, their status and their blocks (owner use, out of order)',
    actions: [...crud, 'update_status', 'block'],
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'update', 'update_status', 'block'),
      front_desk: all('read'),
      housekeeping: all('read', 'update_status'),
      maintenance: all('read', 'block'),
      viewer: all('read'),
      owner: own('read'),
    },
  }),
  owners: resource({
    title: 'Property owners',
    actions: crud,
    grants: { super_admin: every, admin: every, manager: all('read'), front_desk: all('read'), viewer: all('read'), owner: own('read') },
  }),
  rates: resource({
    title: 'Rate plans, prices and restrictions, fees, taxes and cancellation policies',
    actions: crud,
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'create', 'update'),
      front_desk: all('read'),
      viewer: all('read'),
      owner: own('read'),
    },
  }),
  bookings: resource({
    title: 'Reservations and bookings',
    actions: [...crud, 'approve', 'decline', 'confirm', 'check_in', 'check_out', 'complete', 'no_show', 'cancel'],
    grants: {
      super_admin: every,
      admin: every,
      manager: every,
      front_desk: all('read', 'create', 'update', 'confirm', 'check_in', 'check_out', 'no_show', 'cancel'),
      housekeeping: all('read'),
      maintenance: all('read'),
      viewer: all('read'),
      owner: own('read'),
      customer: own('read', 'create', 'cancel'),
    },
  }),
  customers: resource({
    title: 'Guests and customers',
    actions: crud,
    grants: {
      super_admin: every,
      admin: every,
      manager: every,
      front_desk: all('read', 'create', 'update'),
      viewer: all('read'),
      customer: own('read', 'update'),
    },
  }),
  invoices: resource({
    title: 'Invoices and charges',
    actions: [...crud, 'void'],
    grants: {
      super_admin: every,
      admin: every,
      manager: every,
      front_desk: all('read'),
      viewer: all('read'),
      owner: own('read'),
      customer: own('read'),
    },
  }),
  housekeeping: resource({
    title: 'Housekeeping tasks',
    actions: crud,
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'update'),
      front_desk: all('read'),
      housekeeping: all('read', 'update'),
      maintenance: all('read'),
      viewer: all('read'),
    },
  }),
  maintenance: resource({
    title: 'Maintenance requests',
    actions: crud,
    grants: {
      super_admin: every,
      admin: every,
      manager: every,
      front_desk: all('read', 'create', 'update'),
      housekeeping: all('read'),
      maintenance: all('read', 'create', 'update'),
      viewer: all('read'),
      owner: own('read'),
      customer: own('read', 'create'),
    },
  }),
  reports: resource({
    title: 'Reports and statements',
    actions: crud,
    grants: { super_admin: every, admin: every, manager: all('read'), viewer: all('read'), owner: own('read') },
  }),
  audit_logs: resource({
    title: 'The audit log',
    actions: ['read'],
    grants: { super_admin: every, admin: every, manager: every, viewer: every },
  }),
  channel_sync: resource({
    title: 'Channel-manager sync (Beds24, iCal)',
    actions: crud,
    grants: { super_admin: every, admin: every, manager: all('read'), viewer: all('read') },
  }),
  // --- from the marketplace, lease, payment and work-order seeds ---------------------------------
  listings: resource({
    title: 'Marketplace listings',
    actions: [...crud, 'moderate'],
    platformOnly: ['moderate'],
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'create', 'update'),
      front_desk: all('read'),
      viewer: all('read'),
      owner: own('read'),
    },
  }),
  leases: resource({
    title: 'Leases',
    actions: [...crud, 'activate', 'terminate'],
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'create', 'update', 'activate', 'terminate'),
      front_desk: all('read'),
      viewer: all('read'),
      owner: own('read'),
      customer: own('read'),
    },
  }),
  payments: resource({
    title: 'Payments',
    actions: [...crud, 'refund'],
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'create', 'refund'),
      front_desk: all('read', 'create'),
      viewer: all('read'),
      owner: own('read'),
      customer: own('read', 'create'),
    },
  }),
  ledger: resource({
    title: 'The double-entry ledger (immutable: corrected by reversal)',
    actions: ['read', 'post', 'reverse'],
    grants: { super_admin: every, admin: every, manager: all('read'), viewer: all('read') },
  }),
  payouts: resource({
    title: 'Payouts to owners and vendors',
    actions: ['read', 'create', 'approve'],
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'create'),
      viewer: all('read'),
      owner: own('read', 'create'),
      vendor: own('read'),
    },
  }),
  disbursements: resource({
    title: 'Owner disbursements and statements',
    actions: ['read', 'create', 'approve'],
    grants: { super_admin: every, admin: every, manager: all('read', 'create'), viewer: all('read'), owner: own('read') },
  }),
  documents: resource({
    title: 'Documents and e-signatures',
    actions: [...crud, 'sign'],
    grants: {
      super_admin: every,
      admin: every,
      manager: all('read', 'create', 'update', 'sign'),
      front_desk: all('read', 'create'),
      viewer: all('read'),
      owner: own('read', 'sign'),
      vendor: assigned('read'),
      customer: own('read', 'sign'),
    },
  }),
  work_orders: resource({
    title: 'Work orders',
    actions: [...crud, 'assign'],
    grants: {
      super_admin: every,
      admin: every,
      manager: every,
      front_desk: all('read', 'create'),
      housekeeping: all('read', 'create'),
      maintenance: all('read', 'create', 'update'),
      viewer: all('read'),
      owner: own('read'),
      vendor: assigned('read', 'update'),
    },
  }),
  // --- the platform itself ---------------------------------------------------------------------
  platform_operations: resource({
    title: 'Operations of the platform: parked event deliveries and their re-drive',
    actions: ['read', 'redrive'],
    platformOnly: ['read', 'redrive'],
    grants: { super_admin: every, admin: every },
  }),
} as const;

export type PermissionMatrix = typeof permissionMatrix;
export type Resource = keyof PermissionMatrix;
export type ActionOf<R extends Resource> = PermissionMatrix[R]['actions'][number];

export const resources = Object.keys(permissionMatrix) as Resource[];

export function isRole(value: string | null | undefined): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

function definitionOf(resourceName: Resource): ResourceDefinition<string> {
  return permissionMatrix[resourceName];
}

export function actionsOf(resourceName: Resource): readonly string[] {
  return definitionOf(resourceName).actions;
}

export function isPlatformOnly(resourceName: Resource, action: string): boolean {
  return definitionOf(resourceName).platformOnly?.includes(action) ?? false;
}

/** What a role may do with a resource, with the scope of its rows; undefined when nothing. */
export function grantOf(role: Role, resourceName: Resource): { actions: string[]; scope: Scope } | undefined {
  const definition = definitionOf(resourceName);
  const grant = definition.grants[role];
  if (!grant) return undefined;
  return { actions: grant.actions === '*' ? [...definition.actions] : [...grant.actions], scope: grant.scope };
}

/**
 * Whether a role may do an action, and on which rows. `acting.inPlatform` says whether the
 * caller acts in the platform organization, which `platformOnly` actions require.
 */
export function scopeOf(role: Role, resourceName: Resource, action: string, acting: { inPlatform: boolean }): Scope | undefined {
  if (isPlatformOnly(resourceName, action) && !acting.inPlatform) return undefined;
  const grant = grantOf(role, resourceName);
  return grant?.actions.includes(action) ? grant.scope : undefined;
}

/** Whether a role may grant another role: only a super_admin grants or revokes super_admin. */
export function canAssignRole(granter: Role, granted: Role): boolean {
  return granted !== 'super_admin' || granter === 'super_admin';
}
