import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from '../identity/index.ts';
import { organizationsModule } from './index.ts';
import {
  auditRowsOf,
  bearer,
  claimsOf,
  createOrganization,
  eventTypesOf,
  inviteAndAccept,
  newUser,
  probe,
  probeModule,
  type Session,
  signIn,
  switchTo,
} from './test-support.ts';

let t: TestApp;

/** An object with at least these keys, typed for use inside another matcher. */
const partial = (value: Record<string, unknown>): unknown => expect.objectContaining(value);

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule, probeModule] });
});
afterAll(() => t.close());

const get = (url: string, session: Session) => t.app.inject({ method: 'GET', url, headers: bearer(session.accessToken) });
const post = (url: string, session: Session, payload?: object) =>
  t.app.inject({ method: 'POST', url, headers: bearer(session.accessToken), ...(payload ? { payload } : {}) });
const patchRole = (organizationId: string, userId: string, session: Session, role: string) =>
  t.app.inject({
    method: 'PATCH',
    url: `/v1/organizations/${organizationId}/members/${userId}`,
    headers: bearer(session.accessToken),
    payload: { role },
  });
const remove = (organizationId: string, userId: string, session: Session) =>
  t.app.inject({ method: 'DELETE', url: `/v1/organizations/${organizationId}/members/${userId}`, headers: bearer(session.accessToken) });

describe("a newcomer's path", () => {
  it('registers, creates an organization, invites, and the invitee acts in the role they are given until removed', async () => {
    // The creator becomes the admin; the token acts in no organization until a switch.
    let ada = await newUser(t.app, 'ada');
    const created = await post('/v1/organizations', ada, { name: 'Harbour Hotels' });
    expect(created.statusCode).toBe(201);
    const org = created.json<{ id: string; role: string; isPlatform: boolean }>();
    expect(org).toMatchObject({ role: 'admin', isPlatform: false });
    expect((await get('/v1/organizations', ada)).json()).toEqual({
      data: [{ id: org.id, name: 'Harbour Hotels', isPlatform: false, role: 'admin' }],
    });
    expect((await get('/v1/permissions/me', ada)).json()).toEqual({ organizationId: null, role: null, permissions: {} });
    expect((await probe(t.app, ada.accessToken, 'bookings', 'read')).json()).toMatchObject({ status: 403, code: 'access.no_organization' });

    const switched = await post(`/v1/organizations/${org.id}/switch`, ada);
    expect(switched.statusCode).toBe(200);
    expect(switched.json()).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, organization: { id: org.id, role: 'admin' } });
    const adaToken = switched.json<{ accessToken: string }>().accessToken;
    expect(claimsOf(adaToken)).toMatchObject({ org: org.id, role: 'admin', sid: claimsOf(ada.accessToken).sid });
    ada = { ...ada, accessToken: adaToken };

    // An invitation: the token is shown once and stored only as its hash.
    const ben = await newUser(t.app, 'ben');
    const invited = await post(`/v1/organizations/${org.id}/invitations`, ada, { email: ben.email.toUpperCase(), role: 'front_desk' });
    expect(invited.statusCode).toBe(201);
    const invitation = invited.json<{ id: string; token: string; email: string; expiresAt: string }>();
    expect(invitation.email).toBe(ben.email);
    expect(Date.parse(invitation.expiresAt) - Date.now()).toBeGreaterThan(6.99 * 24 * 3600 * 1000);
    const stored = await t.database.db
      .selectFrom('invitation')
      .select('tokenHash')
      .where('id', '=', invitation.id)
      .executeTakeFirstOrThrow();
    expect(stored.tokenHash).toBe(createHash('sha256').update(invitation.token).digest('hex'));
    expect(JSON.stringify(await auditRowsOf(t.database.db, org.id))).not.toContain(invitation.token);

    // Someone else signed in cannot use it; Ben can, once.
    const eve = await newUser(t.app, 'eve');
    expect((await post('/v1/invitations/accept', eve, { token: invitation.token })).json()).toMatchObject({
      status: 403,
      code: 'invitation.email_mismatch',
    });
    const accepted = await post('/v1/invitations/accept', ben, { token: invitation.token });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.json()).toMatchObject({ id: org.id, role: 'front_desk' });
    expect((await post('/v1/invitations/accept', ben, { token: invitation.token })).json()).toMatchObject({
      status: 409,
      code: 'invitation.already_accepted',
    });

    // Ben switches and acts as front desk: checks guests in, reads members, cannot invite.
    let benActing = await switchTo(t.app, ben, org.id);
    expect((await probe(t.app, benActing.accessToken, 'bookings', 'check_in')).json()).toEqual({ scope: 'all', role: 'front_desk' });
    expect((await probe(t.app, benActing.accessToken, 'bookings', 'delete')).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await get(`/v1/organizations/${org.id}/members`, benActing)).json<{ data: unknown[] }>().data).toHaveLength(2);
    expect((await post(`/v1/organizations/${org.id}/invitations`, benActing, { email: eve.email, role: 'viewer' })).json()).toMatchObject({
      status: 403,
      code: 'access.denied',
    });

    // The admin makes Ben a viewer. The role is read from the membership on every request, so
    // Ben's unexpired token — whose claim still says front_desk — acts as a viewer at once.
    const changed = await patchRole(org.id, ben.userId, ada, 'viewer');
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ userId: ben.userId, role: 'viewer' });
    expect(claimsOf(benActing.accessToken).role).toBe('front_desk');
    expect((await probe(t.app, benActing.accessToken, 'bookings', 'check_in')).json()).toMatchObject({
      status: 403,
      code: 'access.denied',
    });
    expect((await get('/v1/permissions/me', benActing)).json()).toMatchObject({ organizationId: org.id, role: 'viewer' });
    // A refresh keeps the session's organization and signs the new role into the token.
    const refreshed = await t.app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken: ben.refreshToken } });
    expect(refreshed.statusCode).toBe(200);
    expect(claimsOf(refreshed.json<{ accessToken: string }>().accessToken)).toMatchObject({ org: org.id, role: 'viewer' });
    // A new sign-in starts in the organization last switched to.
    const again = await signIn(t.app, ben.email);
    expect(claimsOf(again.accessToken)).toMatchObject({ org: org.id, role: 'viewer' });
    benActing = { ...benActing, accessToken: refreshed.json<{ accessToken: string }>().accessToken };

    // Removed, Ben acts in no organization at once and the organization is a 404 to him.
    expect((await remove(org.id, ben.userId, ada)).statusCode).toBe(204);
    expect((await get('/v1/permissions/me', benActing)).json()).toEqual({ organizationId: null, role: null, permissions: {} });
    expect((await probe(t.app, benActing.accessToken, 'bookings', 'read')).json()).toMatchObject({
      status: 403,
      code: 'access.no_organization',
    });
    expect((await get(`/v1/organizations/${org.id}/members`, benActing)).json()).toMatchObject({
      status: 404,
      code: 'organization.not_found',
    });
    expect((await get('/v1/organizations', benActing)).json()).toEqual({ data: [] });
    expect(claimsOf((await signIn(t.app, ben.email)).accessToken)).toMatchObject({ org: null, role: null });

    // Every mutation is audited in the organization, with before and after, and published.
    const audit = await auditRowsOf(t.database.db, org.id);
    const membershipId = `${org.id}:${ben.userId}`;
    expect(audit).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'CREATE',
          entityType: 'organization',
          entityId: org.id,
          actorUserId: ada.userId,
          before: null,
          after: { id: org.id, name: 'Harbour Hotels', isPlatform: false },
        }),
        expect.objectContaining({
          action: 'CREATE',
          entityType: 'membership',
          entityId: `${org.id}:${ada.userId}`,
          after: partial({ role: 'admin' }),
        }),
        expect.objectContaining({
          action: 'UPDATE',
          entityType: 'session',
          actorUserId: ada.userId,
          before: { organizationId: null },
          after: { organizationId: org.id, role: 'admin' },
        }),
        expect.objectContaining({
          action: 'CREATE',
          entityType: 'invitation',
          entityId: invitation.id,
          actorRole: 'admin',
          after: partial({ email: ben.email, role: 'front_desk' }),
        }),
        expect.objectContaining({
          action: 'UPDATE',
          entityType: 'invitation',
          entityId: invitation.id,
          actorUserId: ben.userId,
          before: { acceptedAt: null, acceptedBy: null },
          after: partial({ acceptedBy: ben.userId }),
        }),
        expect.objectContaining({
          action: 'CREATE',
          entityType: 'membership',
          entityId: membershipId,
          actorUserId: ben.userId,
          after: partial({ role: 'front_desk' }),
        }),
        expect.objectContaining({
          action: 'PERMISSION_CHANGE',
          entityType: 'membership',
          entityId: membershipId,
          actorUserId: ada.userId,
          actorRole: 'admin',
          before: { role: 'front_desk' },
          after: { role: 'viewer' },
        }),
        expect.objectContaining({
          action: 'DELETE',
          entityType: 'membership',
          entityId: membershipId,
          actorUserId: ada.userId,
          before: partial({ role: 'viewer' }),
          after: null,
        }),
      ]),
    );
    expect(audit.every((row) => row.orgId === org.id)).toBe(true);
    expect(await eventTypesOf(t.database.db, org.id)).toEqual([
      'organization.created',
      'membership.created',
      'invitation.created',
      'invitation.accepted',
      'membership.created',
      'membership.role_changed',
      'membership.removed',
    ]);
  });
});

describe('admins', () => {
  it('never removes or demotes the last admin, with 409 membership.last_admin', async () => {
    const ada = await newUser(t.app, 'solo');
    const orgId = await createOrganization(t.app, ada);
    for (const reply of [await patchRole(orgId, ada.userId, ada, 'manager'), await remove(orgId, ada.userId, ada)]) {
      expect(reply.statusCode).toBe(409);
      expect(reply.json()).toMatchObject({ code: 'membership.last_admin' });
    }
    // With a second admin, either may step down — but not both.
    const cy = await newUser(t.app, 'cy');
    await inviteAndAccept(t.app, ada, orgId, cy, 'admin');
    expect((await patchRole(orgId, ada.userId, ada, 'manager')).statusCode).toBe(200);
    expect((await remove(orgId, cy.userId, cy)).json()).toMatchObject({ status: 409, code: 'membership.last_admin' });
    expect((await patchRole(orgId, cy.userId, cy, 'viewer')).json()).toMatchObject({ status: 409, code: 'membership.last_admin' });
    const members = await t.database.db.selectFrom('membership').select(['userId', 'role']).where('organizationId', '=', orgId).execute();
    expect(members).toEqual(
      expect.arrayContaining([
        { userId: ada.userId, role: 'manager' },
        { userId: cy.userId, role: 'admin' },
      ]),
    );
    // Nothing was written by the refusals.
    const changes = (await auditRowsOf(t.database.db, orgId)).filter(
      (row) => row.action === 'PERMISSION_CHANGE' || row.action === 'DELETE',
    );
    expect(changes).toEqual([
      expect.objectContaining({ action: 'PERMISSION_CHANGE', before: { role: 'admin' }, after: { role: 'manager' } }),
    ]);
  });

  it('lets only a super_admin grant super_admin', async () => {
    const ada = await newUser(t.app, 'grant');
    const orgId = await createOrganization(t.app, ada);
    const dee = await newUser(t.app, 'dee');
    await inviteAndAccept(t.app, ada, orgId, dee, 'viewer');
    expect((await patchRole(orgId, dee.userId, ada, 'super_admin')).json()).toMatchObject({
      status: 403,
      code: 'membership.role_not_grantable',
    });
    const invite = await post(`/v1/organizations/${orgId}/invitations`, ada, { email: 'x@example.test', role: 'super_admin' });
    expect(invite.json()).toMatchObject({ status: 403, code: 'membership.role_not_grantable' });
  });
});

describe('other organizations', () => {
  it('are a 404, never a 403: switching to, inviting into, reading and changing members', async () => {
    const ada = await newUser(t.app, 'owner');
    const orgId = await createOrganization(t.app, ada);
    const mallory = await newUser(t.app, 'mallory');
    await createOrganization(t.app, mallory, 'Elsewhere');
    const unknown = '0190a5f0-0000-7000-8000-0000000000ff';
    for (const id of [orgId, unknown]) {
      const replies = [
        await post(`/v1/organizations/${id}/switch`, mallory),
        await post(`/v1/organizations/${id}/invitations`, mallory, { email: mallory.email, role: 'admin' }),
        await get(`/v1/organizations/${id}/members`, mallory),
        await patchRole(id, ada.userId, mallory, 'viewer'),
        await remove(id, ada.userId, mallory),
      ];
      for (const reply of replies) expect(reply.json()).toMatchObject({ status: 404, code: 'organization.not_found' });
    }
    // A member of the organization but not of the membership asked about: membership.not_found.
    expect((await patchRole(orgId, mallory.userId, ada, 'viewer')).json()).toMatchObject({ status: 404, code: 'membership.not_found' });
  });

  it('refuses an unknown or expired invitation token', async () => {
    const ada = await newUser(t.app, 'inv');
    const orgId = await createOrganization(t.app, ada);
    const flo = await newUser(t.app, 'flo');
    expect((await post('/v1/invitations/accept', flo, { token: 'nope' })).json()).toMatchObject({
      status: 404,
      code: 'invitation.not_found',
    });
    const invited = await post(`/v1/organizations/${orgId}/invitations`, ada, { email: flo.email, role: 'viewer' });
    await sql`UPDATE invitation SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day'`.execute(t.database.db);
    const expired = await post('/v1/invitations/accept', flo, { token: invited.json<{ token: string }>().token });
    expect(expired.json()).toMatchObject({ status: 410, code: 'invitation.expired' });
  });
});
