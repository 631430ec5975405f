import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from './index.ts';
import {
  bearer,
  eventsOfType,
  login,
  loginRequest,
  me,
  refreshRequest,
  registerUser,
  strongPassword,
  uniqueEmail,
} from './test-support.ts';
import type { SessionReply } from './schemas.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule] });
});
afterAll(() => t.close());

describe('accounts', () => {
  it('registers, signs in, reads itself, refreshes with rotation and signs out', async () => {
    const email = uniqueEmail('flow');
    const registered = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: `  ${email.toUpperCase()} `, password: strongPassword, displayName: 'Ada' },
    });
    expect(registered.statusCode).toBe(201);
    const user = registered.json<{ id: string; email: string; displayName: string }>();
    expect(user).toMatchObject({ email, displayName: 'Ada' });
    expect(registered.body).not.toMatch(/argon2|passwordHash/i);
    expect((await eventsOfType(t.database.db, 'user.registered')).map((event) => event.aggregateId)).toContain(user.id);

    const session = await login(t.app, email.toUpperCase());
    expect(session).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: user.id, email } });
    expect(session.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(session.refreshTokenExpiresAt) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    const stored = await t.database.db.selectFrom('authRefreshToken').select('tokenHash').execute();
    expect(stored.map((row) => row.tokenHash)).not.toContain(session.refreshToken);

    const self = await me(t.app, session.accessToken);
    expect(self.statusCode).toBe(200);
    expect(self.json()).toMatchObject({ id: user.id, email, displayName: 'Ada' });

    const refreshed = await refreshRequest(t.app, session.refreshToken);
    expect(refreshed.statusCode).toBe(200);
    const next = refreshed.json<SessionReply>();
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect((await me(t.app, next.accessToken)).statusCode).toBe(200);
    // The old token points at its successor.
    const chain = await t.database.db
      .selectFrom('authRefreshToken')
      .select(['id', 'usedAt', 'replacedBy'])
      .where('sessionId', '=', (await sessionOf(next.accessToken)).sid)
      .orderBy('issuedAt')
      .execute();
    expect(chain).toHaveLength(2);
    expect(chain[0]!.replacedBy).toBe(chain[1]!.id);
    expect(chain[1]!.usedAt).toBeNull();

    const logout = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(next.accessToken) });
    expect(logout.statusCode).toBe(204);
    // The access token stops working at once, and the refresh token with it.
    const after = await me(t.app, next.accessToken);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'auth.token_invalid' });
    expect((await refreshRequest(t.app, next.refreshToken)).json()).toMatchObject({ code: 'auth.refresh_token_invalid' });
    expect(await eventsOfType(t.database.db, 'session.started')).not.toHaveLength(0);
    expect((await eventsOfType(t.database.db, 'session.ended')).map((event) => event.data.reason)).toContain('logout');
    const audit = await sql<{ action: string }>`SELECT action FROM audit_log WHERE actor_user_id = ${user.id}`.execute(t.database.db);
    expect(audit.rows.map((row) => row.action)).toEqual(expect.arrayContaining(['CREATE', 'LOGIN', 'LOGOUT']));
  });

  it('refuses a second account with the same e-mail in any case, with 409 user.email_taken', async () => {
    const email = uniqueEmail('dup');
    await registerUser(t.app, email);
    const again = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: email.replace('dup', 'DUP'), password: 'another-long-passphrase-7' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'user.email_taken', status: 409 });
  });

  it.each([
    ['short', 'Short1!', 'request.validation_failed', 'body.password'],
    ['too long', 'x'.repeat(257), 'request.validation_failed', 'body.password'],
    ['common', 'password1234', 'user.password_rejected', 'body.password'],
    ['common with digits appended', 'Qwertyuiop123456', 'user.password_rejected', 'body.password'],
    ['one character repeated', 'aaaaaaaaaaaaaa', 'user.password_rejected', 'body.password'],
  ])('refuses a %s password with a field error', async (_label, password, code, path) => {
    const reply = await t.app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email: uniqueEmail(), password } });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({ code, errors: [expect.objectContaining({ path })] });
  });

  it('refuses a password that contains the e-mail’s local part', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/register',
      payload: { email: 'margaret.hamilton@example.test', password: 'xx-Margaret.Hamilton-99' },
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.json()).toMatchObject({
      code: 'user.password_rejected',
      errors: [{ path: 'body.password', code: 'password_contains_email' }],
    });
  });

  it('answers a wrong password and an unknown e-mail identically', async () => {
    const email = uniqueEmail('same');
    await registerUser(t.app, email);
    const wrong = await loginRequest(t.app, email, 'not-the-password-at-all', '10.1.0.1');
    const unknown = await loginRequest(t.app, uniqueEmail('nobody'), 'not-the-password-at-all', '10.1.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, requestId: undefined });
    expect(strip(wrong.json())).toEqual(strip(unknown.json()));
    expect(wrong.json()).toMatchObject({ code: 'auth.invalid_credentials' });
  });

  it('refuses unknown fields in PATCH /v1/users/me and updates the display name', async () => {
    const email = uniqueEmail('patch');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    const unknown = await t.app.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: bearer(session.accessToken),
      payload: { displayName: 'Grace', email: 'other@example.test' },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json()).toMatchObject({ code: 'request.validation_failed', errors: [{ path: 'body.email', code: 'unknown_field' }] });
    const updated = await t.app.inject({
      method: 'PATCH',
      url: '/v1/users/me',
      headers: bearer(session.accessToken),
      payload: { displayName: 'Grace' },
    });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ displayName: 'Grace', email });
  });

  it('documents its routes in the OpenAPI document', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(reply.statusCode).toBe(200);
    const paths = Object.keys(reply.json<{ paths: Record<string, unknown> }>().paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh', '/v1/users/me']));
  });

  it('asks anonymous callers to sign in with 401 auth.unauthenticated', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/v1/users/me' });
    expect(reply.statusCode).toBe(401);
    expect(reply.json()).toMatchObject({ code: 'auth.unauthenticated' });
    expect(reply.headers['www-authenticate']).toBe('Bearer');
  });
});

describe('sessions', () => {
  it('ends every session with logout-all', async () => {
    const email = uniqueEmail('all');
    await registerUser(t.app, email);
    const sessions = [await login(t.app, email), await login(t.app, email), await login(t.app, email)];
    const reply = await t.app.inject({ method: 'POST', url: '/v1/auth/logout-all', headers: bearer(sessions[1]!.accessToken) });
    expect(reply.statusCode).toBe(204);
    for (const session of sessions) {
      expect((await me(t.app, session.accessToken)).statusCode).toBe(401);
      expect((await refreshRequest(t.app, session.refreshToken)).statusCode).toBe(401);
    }
  });

  it('changes the password, ending every other session but keeping the current one', async () => {
    const email = uniqueEmail('pw');
    await registerUser(t.app, email);
    const current = await login(t.app, email);
    const other = await login(t.app, email);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/users/me/password',
      headers: bearer(current.accessToken),
      payload: { currentPassword: 'not-my-password-123', newPassword: 'emerald-forest-bicycle-8' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toMatchObject({ code: 'user.wrong_password' });
    expect((await me(t.app, other.accessToken)).statusCode).toBe(200);

    const changed = await t.app.inject({
      method: 'POST',
      url: '/v1/users/me/password',
      headers: bearer(current.accessToken),
      payload: { currentPassword: strongPassword, newPassword: 'emerald-forest-bicycle-8' },
    });
    expect(changed.statusCode).toBe(204);
    expect((await me(t.app, current.accessToken)).statusCode).toBe(200);
    expect((await refreshRequest(t.app, current.refreshToken)).statusCode).toBe(200);
    expect((await me(t.app, other.accessToken)).statusCode).toBe(401);
    expect((await refreshRequest(t.app, other.refreshToken)).statusCode).toBe(401);
    expect((await loginRequest(t.app, email, strongPassword, '10.2.0.1')).statusCode).toBe(401);
    expect((await loginRequest(t.app, email, 'emerald-forest-bicycle-8', '10.2.0.1')).statusCode).toBe(200);
    const changedEvents = await eventsOfType(t.database.db, 'user.password_changed');
    expect(changedEvents.at(-1)?.data).toMatchObject({ endedSessionIds: [(await sessionOf(other.accessToken)).sid] });
  });

  it('revokes the whole family when a rotated refresh token is presented again, and only that family', async () => {
    const email = uniqueEmail('reuse');
    const user = await registerUser(t.app, email);
    const stolen = await login(t.app, email);
    const elsewhere = await login(t.app, email);
    const second = (await refreshRequest(t.app, stolen.refreshToken)).json<SessionReply>();
    const third = (await refreshRequest(t.app, second.refreshToken)).json<SessionReply>();

    const reused = await refreshRequest(t.app, stolen.refreshToken);
    expect(reused.statusCode).toBe(401);
    expect(reused.json()).toMatchObject({ code: 'auth.refresh_token_invalid' });
    // Every token descended from that sign-in is dead, access tokens included.
    expect((await refreshRequest(t.app, third.refreshToken)).statusCode).toBe(401);
    expect((await me(t.app, third.accessToken)).statusCode).toBe(401);
    // The user's other sign-in is untouched.
    expect((await me(t.app, elsewhere.accessToken)).statusCode).toBe(200);
    expect((await refreshRequest(t.app, elsewhere.refreshToken)).statusCode).toBe(200);

    const sid = (await sessionOf(stolen.accessToken)).sid;
    const incidents = await eventsOfType(t.database.db, 'session.refresh_token_reused');
    const ours = incidents.filter((event) => event.aggregateId === sid);
    expect(ours).toHaveLength(1);
    expect(ours[0]!.data).toMatchObject({ sessionId: sid, userId: user.id });
    const audit = await sql<{ action: string }>`SELECT action FROM audit_log WHERE entity_id = ${sid}`.execute(t.database.db);
    expect(audit.rows.map((row) => row.action)).toContain('SESSION_REVOKE');
  });

  it('scopes idempotency keys to the signed-in user', async () => {
    const email = uniqueEmail('idem');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    const logoutWith = (accessToken: string) =>
      t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: { ...bearer(accessToken), 'idempotency-key': 'logout-1' } });
    expect((await logoutWith(session.accessToken)).statusCode).toBe(204);
    const scopes = await t.database.db.selectFrom('idempotencyKey').select('scope').where('key', '=', 'logout-1').execute();
    expect(scopes).toEqual([{ scope: `user:${session.user.id}` }]);
  });
});

async function sessionOf(accessToken: string): Promise<{ sid: string }> {
  const payload = accessToken.split('.')[1]!;
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string };
}
