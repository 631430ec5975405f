import { importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { signingKeySecrets } from '../../platform/config.ts';
import { identityModule } from './index.ts';
import { openPrivateKey } from './key-encryption.ts';
import type { SessionReply } from './schemas.ts';
import { bearer, login, me, registerUser, uniqueEmail } from './test-support.ts';
import { accessTokenLifetimeSeconds, accessTokenVerifier, keyLifetimeSeconds, rotateSigningKeys } from './tokens.ts';

const operatorToken = 'operator-token-of-at-least-32-characters';
let t: TestApp;
let session: SessionReply;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule], config: { OPERATOR_TOKEN: operatorToken } });
  const email = uniqueEmail('tokens');
  await registerUser(t.app, email);
  session = await login(t.app, email);
});
afterAll(() => t.close());

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** Signs with the real current key, with any claims and header changed. */
async function forge(claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const kid = headerOf(session.accessToken).kid as string;
  const key = await t.database.db
    .selectFrom('authSigningKey')
    .select(['privateKeyCiphertext', 'privateKeySecretId'])
    .where('kid', '=', kid)
    .executeTakeFirstOrThrow();
  const privateJwk = openPrivateKey(signingKeySecrets(t.config), kid, {
    ciphertext: key.privateKeyCiphertext!,
    secretId: key.privateKeySecretId!,
  });
  return new SignJWT({ ...claimsOf(session.accessToken), ...claims })
    .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'JWT', ...header })
    .sign(await importJWK(privateJwk, 'EdDSA'));
}

async function expectRefused(token: string, code = 'auth.token_invalid') {
  for (const request of [
    { method: 'GET', url: '/v1/users/me' },
    // A public route refuses a bad token too, rather than serving the caller as anonymous.
    { method: 'GET', url: '/health/live' },
  ] as const) {
    const reply = await t.app.inject({ ...request, headers: bearer(token) });
    expect(reply.statusCode, `${request.url} ${reply.body}`).toBe(401);
    expect(reply.json()).toMatchObject({ code });
    expect(reply.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  }
}

describe('access tokens', () => {
  it('carry the documented header and claims', async () => {
    const header = headerOf(session.accessToken);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'JWT' });
    expect(header.kid).toMatch(/^[0-9a-f-]{36}$/);
    const claims = claimsOf(session.accessToken);
    expect(claims).toMatchObject({
      sub: session.user.id,
      org: null,
      role: null,
      iss: 'tenure',
      aud: 'tenure-api',
    });
    expect(claims.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(accessTokenLifetimeSeconds);
    expect((await t.app.inject({ method: 'GET', url: '/health/live', headers: bearer(session.accessToken) })).statusCode).toBe(200);
  });

  it('refuses alg none', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT', kid: headerOf(session.accessToken).kid })}.${encode(claimsOf(session.accessToken))}.`;
    await expectRefused(unsigned);
  });

  it('refuses an unknown key id and a token without one', async () => {
    await expectRefused(await forge({}, { kid: 'no-such-key' }));
    const [, payload, signature] = session.accessToken.split('.');
    const noKid = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' })).toString('base64url');
    await expectRefused(`${noKid}.${payload}.${signature}`);
  });

  it('refuses a tampered payload or signature', async () => {
    const [header, payload, signature] = session.accessToken.split('.');
    const tamperedPayload = Buffer.from(
      JSON.stringify({ ...claimsOf(session.accessToken), sub: '00000000-0000-7000-8000-000000000000' }),
    ).toString('base64url');
    await expectRefused(`${header}.${tamperedPayload}.${signature}`);
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    await expectRefused(`${header}.${payload}.${flipped}`);
    await expectRefused('not-a-jwt');
  });

  it('refuses an expired token with auth.token_expired', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    await expectRefused(await forge({ iat: past, exp: past + accessTokenLifetimeSeconds }), 'auth.token_expired');
  });

  it('refuses a wrong audience or issuer', async () => {
    await expectRefused(await forge({ aud: 'someone-else' }));
    await expectRefused(await forge({ iss: 'not-tenure' }));
  });

  it('stays anonymous without a token, and leaves the operator token to its own guard', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    const operator = await t.app.inject({ method: 'GET', url: '/v1/admin/events/parked', headers: bearer(operatorToken) });
    expect(operator.statusCode).toBe(200);
  });
});

describe('signing key rotation', () => {
  it('signs with the newest key while the previous one verifies until it retires', async () => {
    const email = uniqueEmail('rotation');
    await registerUser(t.app, email);
    const before = await login(t.app, email);
    const oldKid = headerOf(before.accessToken).kid as string;

    const { created } = await rotateSigningKeys(t.database.db, signingKeySecrets(t.config));
    const after = await login(t.app, email);
    expect(headerOf(after.accessToken).kid).toBe(created);
    expect(created).not.toBe(oldKid);
    // The previous key still verifies its tokens.
    expect((await me(t.app, before.accessToken)).statusCode).toBe(200);
    expect((await me(t.app, after.accessToken)).statusCode).toBe(200);

    const oldKey = await t.database.db.selectFrom('authSigningKey').selectAll().where('kid', '=', oldKid).executeTakeFirstOrThrow();
    expect(oldKey.retiresAt.getTime() - oldKey.createdAt.getTime()).toBe(keyLifetimeSeconds * 1000);
    // Just before its retirement (on a clock where the token itself is still alive) it verifies; at retirement it does not.
    const verifyAt = (at: Date) => accessTokenVerifier(t.database.db, { clock: () => at })(before.accessToken);
    const exp = Number(claimsOf(before.accessToken).exp) * 1000;
    await t.database.db
      .updateTable('authSigningKey')
      .set({ retiresAt: new Date(exp - 1000) })
      .where('kid', '=', oldKid)
      .execute();
    await expect(verifyAt(new Date(exp - 2000))).resolves.toMatchObject({ userId: before.user.id });
    await expect(verifyAt(new Date(exp - 1000))).rejects.toMatchObject({ code: 'auth.token_invalid' });

    // A weekly rotation retires keys older than two rotations and a token's lifetime, even one
    // whose recorded retirement lies further ahead.
    const later = new Date(Date.now() + keyLifetimeSeconds * 1000 + 60_000);
    const extended = new Date(later.getTime() + 3600_000);
    await t.database.db.updateTable('authSigningKey').set({ retiresAt: extended }).where('kid', '=', created).execute();
    const { retired } = await rotateSigningKeys(t.database.db, signingKeySecrets(t.config), later);
    expect(retired).toBeGreaterThanOrEqual(1);
    const rotated = await t.database.db
      .selectFrom('authSigningKey')
      .select('retiresAt')
      .where('kid', '=', created)
      .executeTakeFirstOrThrow();
    expect(rotated.retiresAt.getTime()).toBe(later.getTime());
  });
});
