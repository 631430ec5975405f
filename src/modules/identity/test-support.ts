import { sql } from 'kysely';
import type { Database } from '../../platform/db/database.ts';
import type { App } from '../../platform/http/server.ts';
import { bearer, testPassword as strongPassword } from '../../../test/helpers/accounts.ts';
import type { SessionReply } from './schemas.ts';

/** Helpers for the identity module's tests: real requests through the real application. */

export { bearer, testPassword as strongPassword, uniqueEmail } from '../../../test/helpers/accounts.ts';

export async function registerUser(app: App, email: string, password = strongPassword) {
  const reply = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password } });
  if (reply.statusCode !== 201) throw new Error(`register failed: ${reply.statusCode} ${reply.body}`);
  return reply.json<{ id: string; email: string }>();
}

export function loginRequest(app: App, email: string, password = strongPassword, remoteAddress = '127.0.0.1') {
  return app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password }, remoteAddress });
}

export async function login(app: App, email: string, password = strongPassword): Promise<SessionReply> {
  const reply = await loginRequest(app, email, password);
  if (reply.statusCode !== 200) throw new Error(`login failed: ${reply.statusCode} ${reply.body}`);
  return reply.json<SessionReply>();
}

export function refreshRequest(app: App, refreshToken: string) {
  return app.inject({ method: 'POST', url: '/v1/auth/refresh', payload: { refreshToken } });
}

export function me(app: App, accessToken: string) {
  return app.inject({ method: 'GET', url: '/v1/users/me', headers: bearer(accessToken) });
}

export async function eventsOfType(db: Database, type: string): Promise<{ aggregateId: string; data: Record<string, unknown> }[]> {
  const { rows } = await sql<{ aggregateId: string; data: Record<string, unknown> }>`
    SELECT aggregate_id, envelope -> 'data' AS data FROM outbox_event WHERE type = ${type} ORDER BY seq
  `.execute(db);
  return rows;
}
