import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import { signingKeySecrets } from '../../platform/config.ts';
import { identityModule } from './index.ts';
import { openPrivateKey, SigningKeyDecryptionError } from './key-encryption.ts';
import { login, loginRequest, me, registerUser, uniqueEmail } from './test-support.ts';
import { createSigningKey, rotateSigningKeys, signAccessToken } from './tokens.ts';

const secret = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const previousSecret = secret('2026-01');
const currentSecret = secret('2026-07');

let database: TestDatabase;
let running: TestApp | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterEach(() => stopApp());
afterAll(() => database.drop());

async function stopApp(): Promise<void> {
  await running?.close();
  running = undefined;
}

/** The application on this file's database with these secrets, as a restart with them would start it. */
async function appWith(secrets: string): Promise<TestApp> {
  await stopApp();
  running = await buildTestApp({ modules: [identityModule], database, config: { SIGNING_KEY_SECRETS: secrets } });
  return running;
}

function kidOf(accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid;
}

function storedKey(kid: string) {
  return database.owner
    .selectFrom('authSigningKey')
    .select(['kid', 'publicJwk', 'privateKeyCiphertext', 'privateKeySecretId'])
    .where('kid', '=', kid)
    .executeTakeFirstOrThrow();
}

async function sealedKey(kid: string) {
  const key = await storedKey(kid);
  return { ciphertext: key.privateKeyCiphertext!, secretId: key.privateKeySecretId! };
}

/** Every key retires now, so the next sign-in starts from a fresh key. */
async function retireAllKeys(): Promise<void> {
  await sql`UPDATE auth_signing_key SET retires_at = now() WHERE retires_at > now()`.execute(database.owner);
}

describe('signing keys at rest', () => {
  it('keeps only the encrypted private half, which decrypts under its secret and signs', async () => {
    const t = await appWith(previousSecret);
    const email = uniqueEmail('sealed');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    const kid = kidOf(session.accessToken);
    const stored = await storedKey(kid);
    expect(stored.privateKeySecretId).toBe('2026-01');
    expect(stored.privateKeyCiphertext!.length).toBeGreaterThan(12 + 16);

    const privateJwk = openPrivateKey(signingKeySecrets(t.config), kid, await sealedKey(kid));
    expect(privateJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid, x: (stored.publicJwk as { x: string }).x });
    expect(stored.privateKeyCiphertext!.toString('latin1')).not.toContain(privateJwk.d);
    expect(stored.privateKeyCiphertext!.toString('base64url')).not.toContain(privateJwk.d);
    const { rows: columns } = await sql<{ columnName: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'auth_signing_key' AND column_name LIKE 'private%'
    `.execute(database.owner);
    expect(columns.map((column) => column.columnName).sort()).toEqual(['private_key_ciphertext', 'private_key_secret_id']);
    expect((await me(t.app, session.accessToken)).statusCode).toBe(200);
  });

  it('refuses a ciphertext with one byte flipped, or moved onto another key, with an error that names the key', async () => {
    const t = await appWith(previousSecret);
    const email = uniqueEmail('tamper');
    await registerUser(t.app, email);
    const kid = kidOf((await login(t.app, email)).accessToken);
    const secrets = signingKeySecrets(t.config);
    const sealed = await sealedKey(kid);

    const flipped = Buffer.from(sealed.ciphertext);
    flipped[20] = flipped[20]! ^ 0x01;
    expect(() => openPrivateKey(secrets, kid, { ...sealed, ciphertext: flipped })).toThrow(
      new SigningKeyDecryptionError(
        `Signing key ${kid} does not decrypt with the secret "2026-01": the stored key was altered, or that secret id now names a different secret`,
      ),
    );
    // The kid is authenticated with the ciphertext: another key's row cannot borrow it.
    expect(() => openPrivateKey(secrets, '0190a5f0-0000-7000-8000-000000000000', sealed)).toThrow(SigningKeyDecryptionError);

    // Stored tampered, the key signs nothing: sign-in fails as a server error, and nothing is issued.
    await database.owner.updateTable('authSigningKey').set({ privateKeyCiphertext: flipped }).where('kid', '=', kid).execute();
    const refused = await loginRequest(t.app, email);
    expect(refused.statusCode).toBe(500);
    expect(refused.json()).toMatchObject({ code: 'request.internal_error' });
    await database.owner.updateTable('authSigningKey').set({ privateKeyCiphertext: sealed.ciphertext }).where('kid', '=', kid).execute();
    expect((await loginRequest(t.app, email)).statusCode).toBe(200);
  });

  it('decrypts under the previous secret listed second while new keys are encrypted with the first', async () => {
    await retireAllKeys();
    const before = await appWith(previousSecret);
    const email = uniqueEmail('rotate');
    await registerUser(before.app, email);
    const first = await login(before.app, email);
    const oldKid = kidOf(first.accessToken);
    expect((await storedKey(oldKid)).privateKeySecretId).toBe('2026-01');

    const t = await appWith(`${currentSecret},${previousSecret}`);
    // Until the next rotation the key encrypted with the previous secret keeps signing.
    const second = await login(t.app, email);
    expect(kidOf(second.accessToken)).toBe(oldKid);
    const { created } = await rotateSigningKeys(database.db, signingKeySecrets(t.config));
    expect((await storedKey(created)).privateKeySecretId).toBe('2026-07');
    const third = await login(t.app, email);
    expect(kidOf(third.accessToken)).toBe(created);
    for (const session of [first, second, third]) expect((await me(t.app, session.accessToken)).statusCode).toBe(200);
  });

  it('fails clearly when the secret of the signing key is no longer listed', async () => {
    await retireAllKeys();
    const kid = await createSigningKey(database.db, signingKeySecrets({ SIGNING_KEY_SECRETS: previousSecret }), new Date());
    const t = await appWith(currentSecret);
    const email = uniqueEmail('forgotten');
    await registerUser(t.app, email);
    expect((await loginRequest(t.app, email)).statusCode).toBe(500);

    const signing = database.db
      .transaction()
      .execute((tx) =>
        signAccessToken(
          tx,
          { userId: '0190a5f0-0000-7000-8000-00000000a11c', sessionId: '0190a5f0-0000-7000-8000-00000000005e', orgId: null, role: null },
          { secrets: signingKeySecrets(t.config) },
        ),
      );
    await expect(signing).rejects.toThrow(
      new SigningKeyDecryptionError(
        `Signing key ${kid} is encrypted with the secret "2026-01", which SIGNING_KEY_SECRETS no longer lists; ` +
          'list it again (after the first secret) until a key encrypted with the new secret signs',
      ),
    );
    // The weekly rotation recovers: the new key is encrypted with the listed secret.
    await rotateSigningKeys(database.db, signingKeySecrets(t.config));
    const session = await login(t.app, email);
    expect((await me(t.app, session.accessToken)).statusCode).toBe(200);
  });
});
