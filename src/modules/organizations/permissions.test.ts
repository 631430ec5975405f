import { readFileSync, writeFileSync } from 'node:fs';
import { sql } from 'kysely';
import { format, resolveConfig } from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from '../identity/index.ts';
import { platformOrganizationId } from './access.ts';
import { organizationsModule } from './index.ts';
import { renderRolesAndPermissions } from './permissions-doc.ts';
import { actionsOf, type Resource, resources, roles, scopeOf } from './permissions.ts';
import { bearer, createOrganization, newUser, probe, probeModule, type Session, switchTo } from './test-support.ts';

let t: TestApp;
const operatorToken = 'o'.repeat(40);

beforeAll(async () => {
  t = await buildTestApp({
    modules: [identityModule, organizationsModule, probeModule],
    config: { RATE_LIMIT_MAX: '100000', OPERATOR_TOKEN: operatorToken },
  });
});
afterAll(() => t.close());

const setRole = (organizationId: string, userId: string, role: string) =>
  sql`UPDATE membership SET role = ${role} WHERE organization_id = ${organizationId} AND user_id = ${userId}`.execute(t.database.db);

async function allowed(session: Session, resource: Resource, action: string): Promise<string | false> {
  const reply = await probe(t.app, session.accessToken, resource, action);
  if (reply.statusCode === 200) return reply.json<{ scope: string }>().scope;
  expect(reply.json()).toMatchObject({ status: 403, code: 'access.denied' });
  return false;
}

describe('the permission matrix', () => {
  it('is enforced exactly as written, for every role, resource and action', async () => {
    // One member whose role is rewritten between passes: the role is read per request.
    let member = await newUser(t.app, 'matrix');
    const orgId = await createOrganization(t.app, member);
    member = await switchTo(t.app, member, orgId);
    let checked = 0;
    for (const role of roles) {
      await setRole(orgId, member.userId, role);
      const expected: Record<string, string | false> = {};
      const actual: Record<string, string | false> = {};
      for (const resource of resources) {
        for (const action of actionsOf(resource)) {
          expected[`${resource}:${action}`] = scopeOf(role, resource, action, { inPlatform: false }) ?? false;
          actual[`${resource}:${action}`] = await allowed(member, resource, action);
          checked += 1;
        }
      }
      expect({ role, ...actual }).toEqual({ role, ...expected });
    }
    expect(checked).toBeGreaterThan(roles.length * resources.length * 4 - 1);
  });

  it('agrees with the hotel seed’s matrix and the roles’ descriptions', () => {
    const may = (role: (typeof roles)[number], resource: Resource, action: string) =>
      scopeOf(role, resource, action, { inPlatform: false }) !== undefined;
    // seeds/001: Users CRUD/CRUD/R/R/-/-/-
    expect(roles.filter((role) => may(role, 'members', 'read'))).toEqual(['super_admin', 'admin', 'manager', 'front_desk']);
    expect(roles.filter((role) => may(role, 'members', 'update'))).toEqual(['super_admin', 'admin']);
    // Properties: the seed lets only super_admin create; an organization's creator is its admin
    // and sets up its properties, so admins may too.
    expect(roles.filter((role) => may(role, 'properties', 'create'))).toEqual(['super_admin', 'admin']);
    expect(may('manager', 'properties', 'update')).toBe(false);
    // Rooms: housekeeping updates status only.
    expect(may('housekeeping', 'units', 'update_status')).toBe(true);
    expect(may('housekeeping', 'units', 'update')).toBe(false);
    // Reservations: front desk creates, updates, checks in and out, never deletes.
    for (const action of ['create', 'update', 'check_in', 'check_out']) expect(may('front_desk', 'bookings', action)).toBe(true);
    expect(may('front_desk', 'bookings', 'delete')).toBe(false);
    expect(may('housekeeping', 'bookings', 'check_in')).toBe(false);
    // Guests: housekeeping and maintenance see none.
    expect(may('housekeeping', 'customers', 'read')).toBe(false);
    expect(may('maintenance', 'customers', 'read')).toBe(false);
    // Money: housekeeping cannot read payments, invoices or the ledger; front desk only reads invoices.
    for (const resource of ['payments', 'invoices', 'ledger'] as const) expect(may('housekeeping', resource, 'read')).toBe(false);
    expect(may('front_desk', 'invoices', 'read')).toBe(true);
    expect(may('front_desk', 'invoices', 'create')).toBe(false);
    // Maintenance: CRU for maintenance staff and front desk, read for housekeeping.
    expect(['create', 'update'].every((action) => may('maintenance', 'maintenance', action))).toBe(true);
    expect(may('maintenance', 'maintenance', 'delete')).toBe(false);
    // Reports, audit logs, Beds24: no front desk, housekeeping or maintenance.
    for (const resource of ['reports', 'audit_logs', 'channel_sync'] as const) {
      expect(
        roles.filter((role) => may(role, resource, 'read')).filter((role) => ['front_desk', 'housekeeping', 'maintenance'].includes(role)),
      ).toEqual([]);
    }
    // Audit logs are read-only for everyone.
    expect(actionsOf('audit_logs')).toEqual(['read']);
    // The viewer reads and creates nothing, anywhere.
    for (const resource of resources) {
      for (const action of actionsOf(resource))
        expect(may('viewer', resource, action)).toBe(action === 'read' ? may('viewer', resource, 'read') : false);
    }
    expect(resources.filter((resource) => !may('viewer', resource, 'read'))).toEqual(['members', 'platform_operations']);
    // Owners, vendors and customers see only their own (or assigned) rows.
    expect(scopeOf('customer', 'bookings', 'create', { inPlatform: false })).toBe('own');
    expect(scopeOf('owner', 'properties', 'read', { inPlatform: false })).toBe('own');
    expect(scopeOf('vendor', 'work_orders', 'update', { inPlatform: false })).toBe('assigned');
    expect(may('vendor', 'bookings', 'read')).toBe(false);
    // Listings are moderated from the platform organization only.
    expect(may('admin', 'listings', 'moderate')).toBe(false);
    expect(scopeOf('admin', 'listings', 'moderate', { inPlatform: true })).toBe('all');
    // The platform is operated (parked events) by the platform organization's admins only.
    for (const action of actionsOf('platform_operations')) {
      expect(roles.filter((role) => scopeOf(role, 'platform_operations', action, { inPlatform: true }))).toEqual(['super_admin', 'admin']);
      expect(roles.filter((role) => may(role, 'platform_operations', action))).toEqual([]);
    }
  });

  it('is what docs/roles-and-permissions.md says (UPDATE_DOCS=1 rewrites it)', async () => {
    const path = new URL('../../../docs/roles-and-permissions.md', import.meta.url);
    // As Prettier formats it, so the generated file passes `prettier --check`.
    const expected = await format(renderRolesAndPermissions(), { ...(await resolveConfig(path)), parser: 'markdown' });
    if (process.env.UPDATE_DOCS === '1') writeFileSync(path, expected);
    expect(readFileSync(path, 'utf8')).toBe(expected);
  });
});

describe('GET /v1/permissions/me', () => {
  it('tells each role what it may do in the acting organization, with scopes', async () => {
    let ada = await newUser(t.app, 'me');
    const orgId = await createOrganization(t.app, ada);
    ada = await switchTo(t.app, ada, orgId);
    const asAdmin = await t.app.inject({ method: 'GET', url: '/v1/permissions/me', headers: bearer(ada.accessToken) });
    expect(asAdmin.statusCode).toBe(200);
    const admin = asAdmin.json<{ role: string; permissions: Record<string, { actions: string[]; scope: string }> }>();
    expect(admin).toMatchObject({ organizationId: orgId, role: 'admin' });
    expect(admin.permissions.bookings).toEqual({
      actions: [
        'read',
        'create',
        'update',
        'delete',
        'approve',
        'decline',
        'confirm',
        'check_in',
        'check_out',
        'complete',
        'no_show',
        'cancel',
      ],
      scope: 'all',
    });
    expect(admin.permissions.listings?.actions).not.toContain('moderate');
    // Everything but operating the platform, which is for the platform organization's admins.
    expect(Object.keys(admin.permissions).toSorted()).toEqual(
      resources.filter((resource) => resource !== 'platform_operations').toSorted(),
    );

    await setRole(orgId, ada.userId, 'customer');
    const asCustomer = await t.app.inject({ method: 'GET', url: '/v1/permissions/me', headers: bearer(ada.accessToken) });
    expect(asCustomer.json()).toEqual({
      organizationId: orgId,
      role: 'customer',
      permissions: {
        organization: { actions: ['read'], scope: 'all' },
        bookings: { actions: ['read', 'create', 'cancel'], scope: 'own' },
        customers: { actions: ['read', 'update'], scope: 'own' },
        invoices: { actions: ['read'], scope: 'own' },
        maintenance: { actions: ['read', 'create'], scope: 'own' },
        leases: { actions: ['read'], scope: 'own' },
        payments: { actions: ['read', 'create'], scope: 'own' },
        documents: { actions: ['read', 'sign'], scope: 'own' },
      },
    });
  });
});

describe('the audit log', () => {
  it('is read with audit_logs:read, scoped to the acting organization; platform admins and operators read all', async () => {
    let ada = await newUser(t.app, 'auditor');
    const orgA = await createOrganization(t.app, ada, 'A');
    ada = await switchTo(t.app, ada, orgA);
    let bob = await newUser(t.app, 'other');
    const orgB = await createOrganization(t.app, bob, 'B');
    bob = await switchTo(t.app, bob, orgB);
    const read = (session: Session | string, query = '') =>
      t.app.inject({
        method: 'GET',
        url: `/v1/audit-logs${query}`,
        headers: bearer(typeof session === 'string' ? session : session.accessToken),
      });
    const orgsIn = (reply: Awaited<ReturnType<typeof read>>) =>
      new Set(reply.json<{ data: { orgId: string | null }[] }>().data.map((entry) => entry.orgId));

    expect(orgsIn(await read(ada, '?limit=500'))).toEqual(new Set([orgA]));
    expect((await read(ada, `?orgId=${orgB}`)).json()).toEqual({ data: [], nextCursor: null });
    await setRole(orgA, ada.userId, 'front_desk');
    expect((await read(ada)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    await setRole(orgA, ada.userId, 'admin');

    // An admin of the platform organization reads every organization's entries.
    await sql`INSERT INTO membership (organization_id, user_id, role) VALUES (${platformOrganizationId}, ${bob.userId}, 'admin')`.execute(
      t.database.db,
    );
    const platformAdmin = await switchTo(t.app, bob, platformOrganizationId);
    const all = orgsIn(await read(platformAdmin, '?limit=500'));
    expect(all.has(orgA) && all.has(orgB)).toBe(true);
    expect((await probe(t.app, platformAdmin.accessToken, 'listings', 'moderate')).json()).toMatchObject({ scope: 'all' });
    // The operator token still reads unscoped.
    const operator = orgsIn(await read(operatorToken, '?limit=500'));
    expect(operator.has(orgA) && operator.has(orgB)).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/v1/audit-logs' })).statusCode).toBe(401);
  });
});
