import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdOf } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from './index.ts';
import type { ActiveSessionListReply } from './schemas.ts';
import { bearer, eventsOfType, login, me, refreshRequest, registerUser, strongPassword, uniqueEmail } from './test-support.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule] });
});
afterAll(() => t.close());

function signInFrom(email: string, userAgent: string, remoteAddress: string) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { email, password: strongPassword },
    headers: { 'user-agent': userAgent },
    remoteAddress,
  });
}

async function sessionsOf(accessToken: string): Promise<ActiveSessionListReply['data']> {
  const reply = await t.app.inject({ method: 'GET', url: '/v1/users/me/sessions', headers: bearer(accessToken) });
  expect(reply.statusCode, reply.body).toBe(200);
  return reply.json<ActiveSessionListReply>().data;
}

function endSession(accessToken: string, sessionId: string) {
  return t.app.inject({ method: 'DELETE', url: `/v1/users/me/sessions/${sessionId}`, headers: bearer(accessToken) });
}

describe('GET /v1/users/me/sessions', () => {
  it('lists the caller’s active sessions, newest use first, marking the calling one', async () => {
    const email = uniqueEmail('list');
    await registerUser(t.app, email);
    const laptop = (await signInFrom(email, 'Firefox on the laptop', '10.40.0.1')).json<{ accessToken: string; refreshToken: string }>();
    const phone = (await signInFrom(email, 'Safari on the phone', '10.40.0.2')).json<{ accessToken: string }>();
    const ended = await login(t.app, email);
    await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(ended.accessToken) });
    // A refresh is the latest use the session records.
    expect((await refreshRequest(t.app, laptop.refreshToken)).statusCode).toBe(200);

    const sessions = await sessionsOf(phone.accessToken);
    expect(sessions.map((session) => session.id)).toEqual([sessionIdOf(laptop.accessToken), sessionIdOf(phone.accessToken)]);
    expect(sessions[0]).toMatchObject({ ip: '10.40.0.1', userAgent: 'Firefox on the laptop', current: false });
    expect(sessions[1]).toMatchObject({ ip: '10.40.0.2', userAgent: 'Safari on the phone', current: true });
    expect(Date.parse(sessions[0]!.lastUsedAt)).toBeGreaterThan(Date.parse(sessions[0]!.createdAt));
    expect(sessions[1]!.lastUsedAt).toBe(sessions[1]!.createdAt);
    expect(Date.parse(sessions[1]!.expiresAt!) - Date.now()).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
    // Another user sees only their own.
    const other = uniqueEmail('list-other');
    await registerUser(t.app, other);
    const theirs = await sessionsOf((await login(t.app, other)).accessToken);
    expect(theirs).toHaveLength(1);
    expect(theirs[0]!.current).toBe(true);
  });

  it('leaves out a session whose refresh token has expired', async () => {
    const email = uniqueEmail('expired');
    await registerUser(t.app, email);
    const stale = await login(t.app, email);
    const current = await login(t.app, email);
    await sql`UPDATE auth_refresh_token SET expires_at = now() - interval '1 second' WHERE session_id = ${sessionIdOf(stale.accessToken)}`.execute(
      t.database.db,
    );
    expect((await sessionsOf(current.accessToken)).map((session) => session.id)).toEqual([sessionIdOf(current.accessToken)]);
  });
});

describe('DELETE /v1/users/me/sessions/:sessionId', () => {
  it('ends that session and its refresh tokens, and records who ended it', async () => {
    const email = uniqueEmail('revoke');
    const user = await registerUser(t.app, email);
    const here = await login(t.app, email);
    const lost = await login(t.app, email);
    const lostId = sessionIdOf(lost.accessToken);

    const reply = await endSession(here.accessToken, lostId);
    expect(reply.statusCode).toBe(204);
    expect((await me(t.app, lost.accessToken)).statusCode).toBe(401);
    expect((await refreshRequest(t.app, lost.refreshToken)).statusCode).toBe(401);
    expect((await me(t.app, here.accessToken)).statusCode).toBe(200);
    expect((await sessionsOf(here.accessToken)).map((session) => session.id)).toEqual([sessionIdOf(here.accessToken)]);

    const ended = (await eventsOfType(t.database.db, 'session.ended')).filter((event) => event.aggregateId === lostId);
    expect(ended.map((event) => event.data)).toEqual([{ sessionId: lostId, userId: user.id, reason: 'logout' }]);
    const { rows } = await sql<{ action: string; actorUserId: string; before: unknown; after: { endedAt: string; endReason: string } }>`
      SELECT action, actor_user_id, before, after FROM audit_log WHERE entity_type = 'session' AND entity_id = ${lostId} AND action = 'LOGOUT'
    `.execute(t.database.db);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorUserId: user.id, before: { endedAt: null, endReason: null }, after: { endReason: 'logout' } });
    expect(Date.parse(rows[0]!.after.endedAt)).not.toBeNaN();
  });

  it('answers 404 session.not_found for another user’s session, an ended one and an unknown id', async () => {
    const email = uniqueEmail('mine');
    await registerUser(t.app, email);
    const mine = await login(t.app, email);
    const stranger = uniqueEmail('stranger');
    await registerUser(t.app, stranger);
    const theirs = await login(t.app, stranger);
    const endedByMe = await login(t.app, email);
    expect((await endSession(mine.accessToken, sessionIdOf(endedByMe.accessToken))).statusCode).toBe(204);

    for (const sessionId of [sessionIdOf(theirs.accessToken), sessionIdOf(endedByMe.accessToken), '0190a5f0-0000-7000-8000-000000000000']) {
      const reply = await endSession(mine.accessToken, sessionId);
      expect(reply.statusCode).toBe(404);
      expect(reply.json()).toMatchObject({ code: 'session.not_found', status: 404 });
    }
    // The stranger's session is untouched.
    expect((await me(t.app, theirs.accessToken)).statusCode).toBe(200);
    expect((await endSession(mine.accessToken, 'not-a-uuid')).statusCode).toBe(400);
  });

  it('ends the calling session itself too', async () => {
    const email = uniqueEmail('self');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    expect((await endSession(session.accessToken, sessionIdOf(session.accessToken))).statusCode).toBe(204);
    expect((await me(t.app, session.accessToken)).statusCode).toBe(401);
  });
});
