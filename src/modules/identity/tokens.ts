import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { errors as joseErrors, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { sql } from 'kysely';
import type { SigningKeySecret } from '../../platform/config.ts';
import type { Database, Queryable, Tx } from '../../platform/db/database.ts';
import { type AccessTokenVerifier, expiredToken, invalidToken, type Principal } from '../../platform/http/authentication.ts';
import { uuidv7 } from '../../platform/ids.ts';
import { openPrivateKey, sealPrivateKey } from './key-encryption.ts';
import { activeSessionUser } from './store.ts';

/** Access tokens: short-lived JWTs signed by a rotating key pair, named in the `kid` header. */
export const accessTokenLifetimeSeconds = 15 * 60;
export const refreshTokenLifetimeSeconds = 7 * 24 * 60 * 60;
export const tokenIssuer = 'tenure';
export const tokenAudience = 'tenure-api';
const algorithm = 'EdDSA';

/** A new key signs every week; a key verifies until no token it signed can still be alive. */
export const keyRotationSeconds = 7 * 24 * 60 * 60;
export const keyLifetimeSeconds = 2 * keyRotationSeconds + accessTokenLifetimeSeconds;

export type Clock = () => Date;
const systemClock: Clock = () => new Date();

interface SigningKey {
  kid: string;
  privateJwk: JWK;
}

function newKeyPair(): { publicJwk: JWK; privateJwk: JWK } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return { publicJwk: publicKey.export({ format: 'jwk' }), privateJwk: privateKey.export({ format: 'jwk' }) };
}

/** A new key pair, its private half encrypted with the first of the secrets. */
export async function createSigningKey(db: Queryable, secrets: readonly SigningKeySecret[], now: Date): Promise<string> {
  const kid = uuidv7(now.getTime());
  const { publicJwk, privateJwk } = newKeyPair();
  const sealed = sealPrivateKey(secrets, kid, { ...privateJwk, kid, alg: algorithm });
  await db
    .insertInto('authSigningKey')
    .values({
      kid,
      algorithm,
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg: algorithm, use: 'sig' }),
      privateKeyCiphertext: sealed.ciphertext,
      privateKeySecretId: sealed.secretId,
      createdAt: now,
      retiresAt: new Date(now.getTime() + keyLifetimeSeconds * 1000),
    })
    .execute();
  return kid;
}

/** The newest key that may still sign; keys stored before encryption (no ciphertext) only verify. */
async function newestSigningKey(db: Queryable, secrets: readonly SigningKeySecret[], now: Date): Promise<SigningKey | undefined> {
  const key = await db
    .selectFrom('authSigningKey')
    .select(['kid', 'privateKeyCiphertext', 'privateKeySecretId'])
    .where('createdAt', '<=', now)
    .where('retiresAt', '>', new Date(now.getTime() + accessTokenLifetimeSeconds * 1000))
    .where('privateKeyCiphertext', 'is not', null)
    .orderBy('createdAt', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!key?.privateKeyCiphertext || key.privateKeySecretId === null) return undefined;
  const sealed = { ciphertext: key.privateKeyCiphertext, secretId: key.privateKeySecretId };
  return { kid: key.kid, privateJwk: openPrivateKey(secrets, key.kid, sealed) };
}

/** The newest active key; the very first sign-in creates one (instances take turns). */
async function signingKey(tx: Tx, secrets: readonly SigningKeySecret[], now: Date): Promise<SigningKey> {
  const key = await newestSigningKey(tx, secrets, now);
  if (key) return key;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended('identity.signing-key', 0))`.execute(tx);
  const locked = await newestSigningKey(tx, secrets, now);
  if (locked) return locked;
  await createSigningKey(tx, secrets, now);
  return (await newestSigningKey(tx, secrets, now))!;
}

export async function signAccessToken(
  tx: Tx,
  principal: Principal,
  options: { secrets: readonly SigningKeySecret[]; now?: Date },
): Promise<{ accessToken: string; expiresIn: number }> {
  const now = options.now ?? new Date();
  const key = await signingKey(tx, options.secrets, now);
  const issuedAt = Math.floor(now.getTime() / 1000);
  const accessToken = await new SignJWT({ sid: principal.sessionId, org: principal.orgId, role: principal.role })
    .setProtectedHeader({ alg: algorithm, kid: key.kid, typ: 'JWT' })
    .setSubject(principal.userId)
    .setIssuer(tokenIssuer)
    .setAudience(tokenAudience)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + accessTokenLifetimeSeconds)
    .sign(await importJWK(key.privateJwk, algorithm));
  return { accessToken, expiresIn: accessTokenLifetimeSeconds };
}

/**
 * Verifies access tokens: signature by a known, unretired key, issuer, audience and lifetime, then
 * that the session is still active. That last read is one primary-key lookup per request; it is
 * the price of a logout, a password change or a detected refresh-token theft taking effect at
 * once instead of up to 15 minutes later, and it is cheaper than any revocation list we would
 * otherwise have to share between instances.
 */
export function accessTokenVerifier(db: Database, options: { clock?: Clock } = {}): AccessTokenVerifier {
  const clock = options.clock ?? systemClock;
  // Imported public keys by kid; a key's material never changes, its retirement is read each time.
  const imported = new Map<string, Awaited<ReturnType<typeof importJWK>>>();
  return async (token) => {
    const now = clock();
    let payload;
    try {
      ({ payload } = await jwtVerify(
        token,
        async (header) => {
          if (typeof header.kid !== 'string' || header.kid.length > 64) throw invalidToken('The token names no signing key');
          const key = await db
            .selectFrom('authSigningKey')
            .select(['publicJwk', 'retiresAt'])
            .where('kid', '=', header.kid)
            .executeTakeFirst();
          if (!key || key.retiresAt <= now) throw invalidToken('The token is signed by an unknown or retired key');
          let imported_ = imported.get(header.kid);
          if (!imported_) {
            imported_ = await importJWK(key.publicJwk as JWK, algorithm);
            imported.set(header.kid, imported_);
          }
          return imported_;
        },
        {
          algorithms: [algorithm],
          issuer: tokenIssuer,
          audience: tokenAudience,
          currentDate: now,
          requiredClaims: ['sub', 'sid', 'iat', 'exp'],
        },
      ));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw expiredToken('The access token has expired; refresh it');
      if (error instanceof joseErrors.JOSEError) throw invalidToken('The access token is not valid');
      throw error;
    }
    const { sub, sid, org, role } = payload;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !isNullableString(org) || !isNullableString(role)) {
      throw invalidToken('The access token is not valid');
    }
    const userId = await activeSessionUser(db, sid);
    if (userId !== sub) throw invalidToken('The session of this token has ended');
    return { userId: sub, sessionId: sid, orgId: org ?? null, role: role ?? null };
  };
}

function isNullableString(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === 'string';
}

/**
 * The weekly rotation: a new key that signs from now on, and retirement of keys created longer
 * ago than two rotations plus a token's lifetime (normally already past their `retires_at`).
 */
export async function rotateSigningKeys(
  db: Database,
  secrets: readonly SigningKeySecret[],
  now: Date = new Date(),
): Promise<{ created: string; retired: number }> {
  return db.transaction().execute(async (tx) => {
    await sql`SELECT pg_advisory_xact_lock(hashtextextended('identity.signing-key', 0))`.execute(tx);
    const created = await createSigningKey(tx, secrets, now);
    const retired = await tx
      .updateTable('authSigningKey')
      .set({ retiresAt: now })
      .where('createdAt', '<', new Date(now.getTime() - keyLifetimeSeconds * 1000))
      .where('retiresAt', '>', now)
      .executeTakeFirst();
    return { created, retired: Number(retired.numUpdatedRows) };
  });
}

// --- refresh tokens --------------------------------------------------------------------------------

/** An opaque refresh token (32 random bytes, base64url) and the SHA-256 under which it is stored. */
export function newRefreshToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
