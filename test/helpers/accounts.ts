import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Accounts for tests, made through the real sign-up and sign-in routes. */
export const testPassword = 'violet-harbour-lantern-42';

export function uniqueEmail(label = 'user'): string {
  return `${label}.${randomBytes(4).toString('hex')}@example.test`;
}

export function bearer(accessToken: string): Record<string, string> {
  return { authorization: `Bearer ${accessToken}` };
}

export interface Session {
  userId: string;
  email: string;
  accessToken: string;
  refreshToken: string;
}

export async function signIn(app: FastifyInstance, email: string): Promise<Omit<Session, 'email'>> {
  const reply = await app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: testPassword } });
  if (reply.statusCode !== 200) throw new Error(`login failed: ${reply.body}`);
  const body = reply.json<{ accessToken: string; refreshToken: string; user: { id: string } }>();
  return { userId: body.user.id, accessToken: body.accessToken, refreshToken: body.refreshToken };
}

/** Registers an account and signs it in. */
export async function newUser(app: FastifyInstance, label: string): Promise<Session> {
  const email = uniqueEmail(label);
  const registered = await app.inject({ method: 'POST', url: '/v1/auth/register', payload: { email, password: testPassword } });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  return { ...(await signIn(app, email)), email };
}

/** The session an access token belongs to (its `sid` claim). */
export function sessionIdOf(accessToken: string): string {
  const payload = accessToken.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sid: string }).sid;
}
