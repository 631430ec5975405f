import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import { bearer, type Session } from '../../../test/helpers/accounts.ts';
import type { TenureModule } from '../../platform/module.ts';
import { accessOf, requirePermission } from './access.ts';
import { actionsOf, type Resource, resources } from './permissions.ts';

/** Helpers for the organizations module's tests: real requests through the real application. */

export { bearer, newUser, type Session, signIn, testPassword as password, uniqueEmail } from '../../../test/helpers/accounts.ts';

export async function createOrganization(app: App, session: Session, name = 'Harbour Hotels'): Promise<string> {
  const reply = await app.inject({ method: 'POST', url: '/v1/organizations', headers: bearer(session.accessToken), payload: { name } });
  if (reply.statusCode !== 201) throw new Error(`create organization failed: ${reply.body}`);
  return reply.json<{ id: string }>().id;
}

/** Switches the session to the organization and keeps the new access token. */
export async function switchTo(app: App, session: Session, organizationId: string): Promise<Session> {
  const reply = await app.inject({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/switch`,
    headers: bearer(session.accessToken),
  });
  if (reply.statusCode !== 200) throw new Error(`switch failed: ${reply.body}`);
  return { ...session, accessToken: reply.json<{ accessToken: string }>().accessToken };
}

export async function inviteAndAccept(app: App, admin: Session, organizationId: string, invitee: Session, role: string): Promise<void> {
  const invited = await app.inject({
    method: 'POST',
    url: `/v1/organizations/${organizationId}/invitations`,
    headers: bearer(admin.accessToken),
    payload: { email: invitee.email, role },
  });
  if (invited.statusCode !== 201) throw new Error(`invite failed: ${invited.body}`);
  const accepted = await app.inject({
    method: 'POST',
    url: '/v1/invitations/accept',
    headers: bearer(invitee.accessToken),
    payload: { token: invited.json<{ token: string }>().token },
  });
  if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.body}`);
}

/** The claims of an access token, read without verifying it. */
export function claimsOf(accessToken: string): { org: string | null; role: string | null; sid: string } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as {
    org: string | null;
    role: string | null;
    sid: string;
  };
}

export const probePath = (resource: string, action: string) => `/test/probe/${resource}/${action}`;

/** One route per resource and action of the matrix, guarded by requirePermission; it answers the scope. */
export const probeModule: TenureModule = {
  name: 'permission-probe',
  routes(app) {
    for (const resource of resources) {
      for (const action of actionsOf(resource)) {
        app.get(
          probePath(resource, action),
          {
            preHandler: requirePermission(resource, action as never),
            schema: { response: { 200: z.object({ scope: z.string(), role: z.string() }) } },
          },
          async (request) => ({ scope: accessOf(request).scope, role: accessOf(request).role }),
        );
      }
    }
  },
};

export function probe(app: App, accessToken: string, resource: Resource, action: string) {
  return app.inject({ method: 'GET', url: probePath(resource, action), headers: bearer(accessToken) });
}

export interface AuditRow {
  action: string;
  entityType: string;
  entityId: string;
  orgId: string | null;
  actorUserId: string | null;
  actorRole: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export async function auditRowsOf(db: Database, organizationId: string): Promise<AuditRow[]> {
  const { rows } = await sql<AuditRow>`
    SELECT action, entity_type, entity_id, org_id, actor_user_id, actor_role, before, after
    FROM audit_log WHERE org_id = ${organizationId} ORDER BY occurred_at, id
  `.execute(db);
  return rows;
}

export async function eventTypesOf(db: Database, organizationId: string): Promise<string[]> {
  const { rows } = await sql<{ type: string }>`SELECT type FROM outbox_event WHERE tenant_id = ${organizationId} ORDER BY seq`.execute(db);
  return rows.map((row) => row.type);
}
