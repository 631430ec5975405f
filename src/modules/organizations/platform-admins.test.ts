import { sql } from 'kysely';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import type { Database } from '../../platform/db/database.ts';
import { identityModule } from '../identity/index.ts';
import { platformOrganizationId } from './access.ts';
import { bootstrapPlatformAdmin, grantPlatformAdmin, organizationsModule } from './index.ts';
import { bearer, newUser, password, signIn, switchTo, uniqueEmail } from './test-support.ts';

const anyText = expect.any(String) as unknown;

/** Each test on a database of its own: the platform organization's admins are the point. */
async function freshApp(): Promise<TestApp> {
  const t = await buildTestApp({ modules: [identityModule, organizationsModule] });
  onTestFinished(() => t.close());
  return t;
}

async function platformMembers(db: Database) {
  return db.selectFrom('membership').select(['userId', 'role']).where('organizationId', '=', platformOrganizationId).execute();
}

async function platformAudit(db: Database) {
  const { rows } = await sql<{ action: string; entityType: string; actorType: string; actorUserId: string | null; after: unknown }>`
    SELECT action, entity_type, actor_type, actor_user_id, after FROM audit_log
    WHERE org_id = ${platformOrganizationId} ORDER BY occurred_at, id
  `.execute(db);
  return rows;
}

async function userCount(db: Database): Promise<number> {
  const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM user_account`.execute(db);
  return rows[0]!.count;
}

const settings = (email: string, secret = password) => ({ PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_PASSWORD: secret });

describe('the first platform admin at start-up', () => {
  it('opens the account, makes it the platform organization’s admin with an audit entry, and changes nothing on later starts', async () => {
    const t = await freshApp();
    const email = uniqueEmail('first-admin');
    expect(await bootstrapPlatformAdmin(t.database.db, {})).toBeUndefined();
    expect(await platformMembers(t.database.db)).toEqual([]);

    const outcome = await bootstrapPlatformAdmin(t.database.db, settings(email.toUpperCase()));
    expect(outcome).toEqual({ status: 'made_admin', userId: anyText, accountOpened: true });
    const userId = (outcome as { userId: string }).userId;
    expect(await platformMembers(t.database.db)).toEqual([{ userId, role: 'admin' }]);
    expect(await platformAudit(t.database.db)).toEqual([
      {
        action: 'CREATE',
        entityType: 'membership',
        actorType: 'system',
        actorUserId: null,
        after: { organizationId: platformOrganizationId, userId, role: 'admin', source: 'start-up' },
      },
    ]);

    // The account signs in with the password and acts in the platform organization as its admin.
    const session = await signIn(t.app, email);
    const acting = await switchTo(t.app, { ...session, email }, platformOrganizationId);
    const me = await t.app.inject({ method: 'GET', url: '/v1/permissions/me', headers: bearer(acting.accessToken) });
    expect(me.json()).toMatchObject({ organizationId: platformOrganizationId, role: 'admin' });

    // Later starts, even with other settings, find the admin.
    expect(await bootstrapPlatformAdmin(t.database.db, settings(email))).toEqual({ status: 'has_admin' });
    expect(await bootstrapPlatformAdmin(t.database.db, settings(uniqueEmail('second')))).toEqual({ status: 'has_admin' });
    expect(await platformMembers(t.database.db)).toEqual([{ userId, role: 'admin' }]);
    expect((await platformAudit(t.database.db)).filter((entry) => entry.entityType === 'membership')).toHaveLength(1);
    expect(await userCount(t.database.db)).toBe(1);
  });

  it('uses the account that has the e-mail already, which keeps its own password', async () => {
    const t = await freshApp();
    const existing = await newUser(t.app, 'existing');
    const outcome = await bootstrapPlatformAdmin(t.database.db, settings(existing.email, 'a-different-long-passphrase'));
    expect(outcome).toEqual({ status: 'made_admin', userId: existing.userId, accountOpened: false });
    expect(await platformMembers(t.database.db)).toEqual([{ userId: existing.userId, role: 'admin' }]);
    expect((await signIn(t.app, existing.email)).userId).toBe(existing.userId);
  });

  it('refuses a password registration would refuse, and writes nothing', async () => {
    const t = await freshApp();
    const email = uniqueEmail('weak');
    await expect(bootstrapPlatformAdmin(t.database.db, settings(email, 'password1234'))).rejects.toMatchObject({
      code: 'user.password_rejected',
    });
    await expect(bootstrapPlatformAdmin(t.database.db, settings(email, 'short'))).rejects.toMatchObject({
      code: 'request.validation_failed',
      message: expect.stringContaining('password') as unknown,
    });
    await expect(bootstrapPlatformAdmin(t.database.db, settings('weak-admin@example.test', 'weak-admin-passphrase'))).rejects.toMatchObject(
      {
        code: 'user.password_rejected',
      },
    );
    expect(await userCount(t.database.db)).toBe(0);
    expect(await platformMembers(t.database.db)).toEqual([]);
    expect(await platformAudit(t.database.db)).toEqual([]);
  });

  it('makes one admin when several processes start at once', async () => {
    const t = await freshApp();
    const emails = Array.from({ length: 4 }, (_, i) => uniqueEmail(`racer${i}`));
    const outcomes = await Promise.all(emails.map((email) => bootstrapPlatformAdmin(t.database.db, settings(email))));
    expect(outcomes.filter((outcome) => outcome?.status === 'made_admin')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome?.status === 'has_admin')).toHaveLength(3);
    expect(await platformMembers(t.database.db)).toHaveLength(1);
    expect(await userCount(t.database.db)).toBe(1);
  });
});

describe('making a platform admin on demand', () => {
  it('asks for a password before opening an account, promotes a member, and leaves an admin as it is', async () => {
    const t = await freshApp();
    const email = uniqueEmail('on-demand');
    expect(await grantPlatformAdmin(t.database.db, { email, password: undefined })).toEqual({ status: 'password_needed' });
    expect(await userCount(t.database.db)).toBe(0);

    const first = await grantPlatformAdmin(t.database.db, { email, password });
    expect(first).toMatchObject({ status: 'made_admin', accountOpened: true });
    // Unlike the start-up bootstrap, it adds admins whoever else is one.
    const viewer = await newUser(t.app, 'viewer');
    await sql`INSERT INTO membership (organization_id, user_id, role) VALUES (${platformOrganizationId}, ${viewer.userId}, 'viewer')`.execute(
      t.database.db,
    );
    expect(await grantPlatformAdmin(t.database.db, { email: viewer.email, password: undefined })).toEqual({
      status: 'made_admin',
      userId: viewer.userId,
      accountOpened: false,
    });
    expect(await grantPlatformAdmin(t.database.db, { email: viewer.email, password: undefined })).toEqual({
      status: 'already_admin',
      userId: viewer.userId,
      accountOpened: false,
    });
    expect((await platformMembers(t.database.db)).map((member) => member.role)).toEqual(['admin', 'admin']);
    expect((await platformAudit(t.database.db)).map((entry) => [entry.action, entry.actorType, entry.after])).toEqual([
      ['CREATE', 'system', expect.objectContaining({ role: 'admin', source: 'admin:create' })],
      ['PERMISSION_CHANGE', 'system', { role: 'admin', source: 'admin:create' }],
    ]);
  });
});
