import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from '../identity/index.ts';
import { organizationsModule } from './index.ts';
import {
  auditRowsOf,
  bearer,
  createOrganization,
  eventTypesOf,
  inviteAndAccept,
  newUser,
  type Session,
  switchTo,
  uniqueEmail,
} from './test-support.ts';

const anyText = expect.any(String) as unknown;

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule] });
});
afterAll(() => t.close());

interface Invitation {
  id: string;
  email: string;
  role: string;
  status: string;
  invitedBy: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
  revokedAt: string | null;
}

const get = (url: string, session: Session) => t.app.inject({ method: 'GET', url, headers: bearer(session.accessToken) });
const post = (url: string, session: Session, payload?: object) =>
  t.app.inject({ method: 'POST', url, headers: bearer(session.accessToken), ...(payload ? { payload } : {}) });

async function invite(session: Session, organizationId: string, role = 'viewer', email = uniqueEmail('guest')) {
  const reply = await post(`/v1/organizations/${organizationId}/invitations`, session, { email, role });
  expect(reply.statusCode, reply.body).toBe(201);
  return reply.json<{ id: string; token: string; email: string }>();
}

const revoke = (session: Session, organizationId: string, invitationId: string) =>
  post(`/v1/organizations/${organizationId}/invitations/${invitationId}/revoke`, session);

const accept = (session: Session, token: string) => post('/v1/invitations/accept', session, { token });

const expire = (invitationId: string) =>
  sql`UPDATE invitation SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' WHERE id = ${invitationId}`.execute(
    t.database.db,
  );

/** An admin acting in a new organization of their own. */
async function adminOfNewOrganization(label: string): Promise<{ admin: Session; orgId: string }> {
  const admin = await newUser(t.app, label);
  const orgId = await createOrganization(t.app, admin);
  return { admin: await switchTo(t.app, admin, orgId), orgId };
}

describe('listing invitations', () => {
  it('shows each with its status, newest first, filtered by status and paged', async () => {
    const { admin, orgId } = await adminOfNewOrganization('lister');
    const ben = await newUser(t.app, 'ben');
    const toExpire = await invite(admin, orgId, 'viewer');
    await expire(toExpire.id);
    const toAccept = await invite(admin, orgId, 'front_desk', ben.email);
    expect((await accept(ben, toAccept.token)).statusCode).toBe(200);
    const toRevoke = await invite(admin, orgId, 'manager');
    expect((await revoke(admin, orgId, toRevoke.id)).statusCode).toBe(200);
    const pending = await invite(admin, orgId, 'housekeeping');

    const all = await get(`/v1/organizations/${orgId}/invitations`, admin);
    expect(all.statusCode).toBe(200);
    const page = all.json<{ data: Invitation[]; total: number; page: number; pageSize: number }>();
    expect(page).toMatchObject({ total: 4, page: 1, pageSize: 50 });
    expect(page.data.map((invitation) => [invitation.id, invitation.status])).toEqual([
      [pending.id, 'pending'],
      [toRevoke.id, 'revoked'],
      [toAccept.id, 'accepted'],
      [toExpire.id, 'expired'],
    ]);
    expect(page.data[0]).toEqual({
      id: pending.id,
      organizationId: orgId,
      email: pending.email,
      role: 'housekeeping',
      status: 'pending',
      invitedBy: admin.userId,
      createdAt: anyText,
      expiresAt: anyText,
      acceptedAt: null,
      revokedAt: null,
    });
    expect(page.data[1]?.revokedAt).toEqual(anyText);
    expect(page.data[2]).toMatchObject({ email: ben.email, acceptedAt: anyText, revokedAt: null });
    expect(all.body).not.toContain(pending.token);

    for (const status of ['pending', 'accepted', 'revoked', 'expired']) {
      const filtered = (await get(`/v1/organizations/${orgId}/invitations?status=${status}`, admin)).json<{
        data: Invitation[];
        total: number;
      }>();
      expect(filtered.total, status).toBe(1);
      expect(filtered.data.map((invitation) => invitation.status)).toEqual([status]);
    }
    const bad = await get(`/v1/organizations/${orgId}/invitations?status=lost`, admin);
    expect(bad.json()).toMatchObject({ status: 400, code: 'request.validation_failed' });

    const second = await get(`/v1/organizations/${orgId}/invitations?pageSize=3&page=2`, admin);
    expect(second.json()).toMatchObject({ total: 4, page: 2, pageSize: 3, data: [{ id: toExpire.id }] });
    expect(second.headers['x-total-count']).toBe('4');
    expect(second.headers.link).toContain('rel="prev"');
  });

  it('needs the right to invite: a front desk member is refused, a stranger gets 404', async () => {
    const { admin, orgId } = await adminOfNewOrganization('guarded');
    const desk = await newUser(t.app, 'desk');
    await inviteAndAccept(t.app, admin, orgId, desk, 'front_desk');
    const deskActing = await switchTo(t.app, desk, orgId);
    const invitation = await invite(admin, orgId);
    expect((await get(`/v1/organizations/${orgId}/invitations`, deskActing)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await revoke(deskActing, orgId, invitation.id)).json()).toMatchObject({ status: 403, code: 'access.denied' });

    const stranger = await adminOfNewOrganization('stranger');
    expect((await get(`/v1/organizations/${orgId}/invitations`, stranger.admin)).json()).toMatchObject({
      status: 404,
      code: 'organization.not_found',
    });
    expect((await revoke(stranger.admin, orgId, invitation.id)).json()).toMatchObject({ status: 404, code: 'organization.not_found' });
    // Through their own organization, another organization's invitation does not exist.
    expect((await revoke(stranger.admin, stranger.orgId, invitation.id)).json()).toMatchObject({
      status: 404,
      code: 'invitation.not_found',
    });
    expect((await get(`/v1/organizations/${stranger.orgId}/invitations`, stranger.admin)).json()).toMatchObject({ total: 0, data: [] });
  });
});

describe('revoking an invitation', () => {
  it('withdraws a pending one for good, with an audit entry and an event; its token is refused after', async () => {
    const { admin, orgId } = await adminOfNewOrganization('revoker');
    const cleo = await newUser(t.app, 'cleo');
    const invitation = await invite(admin, orgId, 'viewer', cleo.email);

    const revoked = await revoke(admin, orgId, invitation.id);
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: invitation.id, status: 'revoked', revokedAt: anyText, acceptedAt: null });

    expect((await accept(cleo, invitation.token)).json()).toMatchObject({ status: 410, code: 'invitation.revoked' });
    expect((await get(`/v1/organizations/${orgId}/members`, admin)).json<{ data: unknown[] }>().data).toHaveLength(1);
    expect((await revoke(admin, orgId, invitation.id)).json()).toMatchObject({ status: 409, code: 'invitation.already_revoked' });

    const entries = (await auditRowsOf(t.database.db, orgId)).filter((row) => row.entityType === 'invitation');
    expect(entries.at(-1)).toEqual({
      action: 'UPDATE',
      entityType: 'invitation',
      entityId: invitation.id,
      orgId,
      actorUserId: admin.userId,
      actorRole: 'admin',
      before: { status: 'pending', revokedAt: null, revokedBy: null },
      after: { status: 'revoked', revokedAt: revoked.json<Invitation>().revokedAt, revokedBy: admin.userId },
    });
    expect(entries).toHaveLength(2);
    expect((await eventTypesOf(t.database.db, orgId)).filter((type) => type.startsWith('invitation.'))).toEqual([
      'invitation.created',
      'invitation.revoked',
    ]);
  });

  it('refuses one that is accepted, expired or unknown', async () => {
    const { admin, orgId } = await adminOfNewOrganization('late');
    const dan = await newUser(t.app, 'dan');
    const accepted = await invite(admin, orgId, 'viewer', dan.email);
    expect((await accept(dan, accepted.token)).statusCode).toBe(200);
    expect((await revoke(admin, orgId, accepted.id)).json()).toMatchObject({ status: 409, code: 'invitation.already_accepted' });

    const expired = await invite(admin, orgId);
    await expire(expired.id);
    expect((await revoke(admin, orgId, expired.id)).json()).toMatchObject({ status: 410, code: 'invitation.expired' });

    const unknown = '0190a5f0-0000-7000-8000-0000000000aa';
    expect((await revoke(admin, orgId, unknown)).json()).toMatchObject({ status: 404, code: 'invitation.not_found' });
    expect((await revoke(admin, orgId, 'not-a-uuid')).json()).toMatchObject({ status: 400, code: 'request.validation_failed' });
    const changed = (await auditRowsOf(t.database.db, orgId)).filter((row) => row.entityType === 'invitation' && row.before?.status);
    expect(changed).toEqual([]);
  });

  it('lets only a super_admin revoke an invitation as super_admin', async () => {
    const { admin, orgId } = await adminOfNewOrganization('super');
    await sql`UPDATE membership SET role = 'super_admin' WHERE organization_id = ${orgId} AND user_id = ${admin.userId}`.execute(
      t.database.db,
    );
    const invitation = await invite(admin, orgId, 'super_admin');
    const other = await newUser(t.app, 'other-admin');
    await inviteAndAccept(t.app, admin, orgId, other, 'admin');
    const otherActing = await switchTo(t.app, other, orgId);
    expect((await revoke(otherActing, orgId, invitation.id)).json()).toMatchObject({ status: 403, code: 'membership.role_not_grantable' });
    expect((await revoke(admin, orgId, invitation.id)).json()).toMatchObject({ status: 'revoked' });
  });

  it('races with an acceptance: exactly one of them happens', async () => {
    const { admin, orgId } = await adminOfNewOrganization('race');
    for (let round = 0; round < 5; round += 1) {
      const eve = await newUser(t.app, 'eve');
      const invitation = await invite(admin, orgId, 'viewer', eve.email);
      const [revoked, accepted] = await Promise.all([revoke(admin, orgId, invitation.id), accept(eve, invitation.token)]);
      const outcome = [revoked.statusCode, accepted.statusCode].toSorted();
      expect([
        [200, 409],
        [200, 410],
      ]).toContainEqual(outcome);
      const member = await t.database.db
        .selectFrom('membership')
        .select('role')
        .where('organizationId', '=', orgId)
        .where('userId', '=', eve.userId)
        .executeTakeFirst();
      expect(member !== undefined).toBe(accepted.statusCode === 200);
    }
  });
});
