import { signingKeySecrets } from '../../platform/config.ts';
import type { App } from '../../platform/http/server.ts';
import { principalOf, requireUser } from '../../platform/http/authentication.ts';
import type { ModuleDependencies } from '../../platform/module.ts';
import { callerOf } from './audit.ts';
import { changePassword } from './passwords.ts';
import { register } from './register.ts';
import {
  ActiveSessionListReply,
  ChangePasswordBody,
  LoginBody,
  RefreshBody,
  RegisterBody,
  SessionParams,
  SessionReply,
  UpdateMeBody,
  UserReply,
} from './schemas.ts';
import { listSessions, login, logout, logoutAll, refresh, revokeSession, type TokenSigning } from './sessions.ts';
import { getUser, updateProfile } from './users.ts';

const signedIn = { preHandler: requireUser } as const;
const auth = { tags: ['authentication'] };
// A bearer security scheme in the OpenAPI document is left to the platform's server options.
const me = { tags: ['users'] };

export function identityRoutes(app: App, { config, db, memberships }: ModuleDependencies): void {
  const signing: TokenSigning = {
    secrets: signingKeySecrets(config),
    actingOrganization: memberships?.actingOrganization.bind(memberships),
  };
  app.post(
    '/v1/auth/register',
    { schema: { ...auth, summary: 'Open an account', body: RegisterBody, response: { 201: UserReply } } },
    async (request, reply) => {
      const user = await request.transaction((tx) => register(tx, { caller: callerOf(request), body: request.body }));
      return reply.code(201).send(user);
    },
  );

  // Sign-in, refresh and the password change commit their refusals (a counted failure, a revoked
  // family) too, so they run their own transaction instead of the request's, which an error reply
  // rolls back.
  app.post(
    '/v1/auth/login',
    { schema: { ...auth, summary: 'Sign in with e-mail and password', body: LoginBody, response: { 200: SessionReply } } },
    async (request) => {
      const userAgent = request.headers['user-agent'];
      return login(db, { caller: callerOf(request), body: request.body, ip: request.ip, userAgent: userAgent ?? null, signing });
    },
  );

  app.post(
    '/v1/auth/refresh',
    { schema: { ...auth, summary: 'Exchange a refresh token for new tokens', body: RefreshBody, response: { 200: SessionReply } } },
    async (request) => refresh(db, { caller: callerOf(request), refreshToken: request.body.refreshToken, signing }),
  );

  app.post('/v1/auth/logout', { ...signedIn, schema: { ...me, tags: auth.tags, summary: 'End this session' } }, async (request, reply) => {
    const { userId, sessionId } = principalOf(request);
    await request.transaction((tx) => logout(tx, { caller: callerOf(request), userId, sessionId }));
    return reply.code(204).send();
  });

  app.post(
    '/v1/auth/logout-all',
    { ...signedIn, schema: { ...me, tags: auth.tags, summary: 'End every session of this user' } },
    async (request, reply) => {
      const { userId } = principalOf(request);
      await request.transaction((tx) => logoutAll(tx, { caller: callerOf(request), userId }));
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/users/me',
    { ...signedIn, schema: { ...me, summary: 'The signed-in user', response: { 200: UserReply } } },
    async (request) => getUser(db, { userId: principalOf(request).userId }),
  );

  app.patch(
    '/v1/users/me',
    { ...signedIn, schema: { ...me, summary: 'Update the signed-in user', body: UpdateMeBody, response: { 200: UserReply } } },
    async (request) => {
      const { userId } = principalOf(request);
      return request.transaction((tx) => updateProfile(tx, { caller: callerOf(request), userId, body: request.body }));
    },
  );

  app.post(
    '/v1/users/me/password',
    { ...signedIn, schema: { ...me, summary: 'Change the password; ends every other session', body: ChangePasswordBody } },
    async (request, reply) => {
      const { userId, sessionId } = principalOf(request);
      await changePassword(db, { caller: callerOf(request), userId, sessionId, ip: request.ip, body: request.body });
      return reply.code(204).send();
    },
  );

  app.get(
    '/v1/users/me/sessions',
    { ...signedIn, schema: { ...me, summary: 'The active sessions of the signed-in user', response: { 200: ActiveSessionListReply } } },
    async (request) => {
      const { userId, sessionId } = principalOf(request);
      return listSessions(db, { userId, currentSessionId: sessionId });
    },
  );

  app.delete(
    '/v1/users/me/sessions/:sessionId',
    { ...signedIn, schema: { ...me, summary: 'End a session of the signed-in user, and its refresh tokens', params: SessionParams } },
    async (request, reply) => {
      const { userId } = principalOf(request);
      await request.transaction((tx) => revokeSession(tx, { caller: callerOf(request), userId, sessionId: request.params.sessionId }));
      return reply.code(204).send();
    },
  );
}
