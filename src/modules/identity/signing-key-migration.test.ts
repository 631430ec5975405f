import { generateKeyPairSync } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createDatabaseMigratedTo, type TestDatabase } from '../../../test/helpers/database.ts';
import { identityModule } from './index.ts';
import { login, me, registerUser, uniqueEmail } from './test-support.ts';
import { accessTokenLifetimeSeconds, keyLifetimeSeconds, tokenAudience, tokenIssuer } from './tokens.ts';

/**
 * Migration 0007 on a database that already holds a signing key stored in plain text, as 0003
 * kept them: the key loses its private half but keeps verifying, and the next sign-in makes an
 * encrypted key to sign with.
 */
const legacyKid = '0190a5f0-0000-7000-8000-0000000001d0';
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const legacyPublicJwk = { ...publicKey.export({ format: 'jwk' }), kid: legacyKid, alg: 'EdDSA', use: 'sig' };
const legacyPrivateJwk: JWK = { ...privateKey.export({ format: 'jwk' }), kid: legacyKid, alg: 'EdDSA' };

let database: TestDatabase & { migrate(): Promise<string[]> };
let t: TestApp;
let applied: string[];

beforeAll(async () => {
  database = await createDatabaseMigratedTo('0006');
  const createdAt = new Date(Date.now() - 3600_000);
  await sql`
    INSERT INTO auth_signing_key (kid, algorithm, public_jwk, private_jwk, created_at, retires_at)
    VALUES (${legacyKid}, 'EdDSA', ${JSON.stringify(legacyPublicJwk)}, ${JSON.stringify(legacyPrivateJwk)},
            ${createdAt}, ${new Date(createdAt.getTime() + keyLifetimeSeconds * 1000)})
  `.execute(database.owner);
  applied = await database.migrate();
  t = await buildTestApp({ modules: [identityModule], database });
});
afterAll(async () => {
  await t.close();
  await database.drop();
});

/** An access token for the session, signed with the legacy key's private half kept from before. */
async function signedWithLegacyKey(accessToken: string): Promise<string> {
  const claims = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; sid: string };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: claims.sid, org: null, role: null })
    .setProtectedHeader({ alg: 'EdDSA', kid: legacyKid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(tokenIssuer)
    .setAudience(tokenAudience)
    .setIssuedAt(now)
    .setExpirationTime(now + accessTokenLifetimeSeconds)
    .sign(await importJWK(legacyPrivateJwk, 'EdDSA'));
}

describe('migration 0007 on a plaintext signing key', () => {
  it('erases the private half and keeps the public one', async () => {
    expect(applied[0]).toBe('0007_signing_key_encryption.sql');
    const { rows } = await sql<Record<string, unknown>>`SELECT * FROM auth_signing_key WHERE kid = ${legacyKid}`.execute(database.owner);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ publicJwk: legacyPublicJwk, privateKeyCiphertext: null, privateKeySecretId: null });
    expect(Object.keys(rows[0]!)).not.toContain('privateJwk');
    expect(JSON.stringify(rows[0])).not.toContain(legacyPrivateJwk.d);
  });

  it('no longer signs with it, but still verifies what it signed until it retires', async () => {
    const email = uniqueEmail('upgrade');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    const kid = (JSON.parse(Buffer.from(session.accessToken.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
    expect(kid).not.toBe(legacyKid);
    const created = await database.owner
      .selectFrom('authSigningKey')
      .select(['privateKeySecretId'])
      .where('kid', '=', kid)
      .executeTakeFirstOrThrow();
    expect(created.privateKeySecretId).toBe('development');

    const legacyToken = await signedWithLegacyKey(session.accessToken);
    expect((await me(t.app, legacyToken)).statusCode).toBe(200);
    await sql`UPDATE auth_signing_key SET retires_at = now() WHERE kid = ${legacyKid}`.execute(database.owner);
    expect((await me(t.app, legacyToken)).statusCode).toBe(401);
  });
});
