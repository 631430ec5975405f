import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Field encryption of personal data at rest (bank account numbers): AES-256-GCM under the keys of
 * DATA_ENCRYPTION_KEYS (`dataEncryptionKeys(config)`), the first encrypting and every one
 * decrypting, so a key is rotated by listing the new one first and keeping the old one after it.
 *
 * A sealed value is the base64 text of IV ‖ ciphertext ‖ tag (a random 12-byte IV, a 16-byte tag)
 * and the id of the key that sealed it. The caller names additional authenticated data that ties
 * the ciphertext to its place (`bank_account:<id>`): copied onto another row, it does not open.
 */

export interface DataKey {
  id: string;
  key: Buffer;
}

export interface SealedText {
  /** Base64 of IV ‖ ciphertext ‖ tag. */
  ciphertext: string;
  keyId: string;
}

export interface SealedBytes {
  sealed: Buffer;
  keyId: string;
}

const cipher = 'aes-256-gcm';
const ivBytes = 12;
const tagBytes = 16;
const keyBytes = 32;

/** A sealed value that does not open: which key, and why (`unknown_key` or `not_authentic`). */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';

  constructor(
    readonly reason: 'unknown_key' | 'not_authentic',
    readonly keyId: string,
    message: string,
  ) {
    super(message);
  }
}

function encryptingKey(keys: readonly DataKey[]): DataKey {
  const key = keys[0];
  if (!key) throw new Error('No data encryption key is listed');
  if (key.key.length !== keyBytes) throw new Error(`The data encryption key "${key.id}" is not ${keyBytes} bytes long`);
  return key;
}

/** Seals bytes under the first key. */
export function sealBytes(keys: readonly DataKey[], plaintext: Buffer, aad: string): SealedBytes {
  const key = encryptingKey(keys);
  const iv = randomBytes(ivBytes);
  const encryption = createCipheriv(cipher, key.key, iv, { authTagLength: tagBytes }).setAAD(Buffer.from(aad, 'utf8'));
  const encrypted = Buffer.concat([encryption.update(plaintext), encryption.final()]);
  return { sealed: Buffer.concat([iv, encrypted, encryption.getAuthTag()]), keyId: key.id };
}

/** Opens bytes sealed under any listed key with the same additional authenticated data. */
export function openBytes(keys: readonly DataKey[], sealed: SealedBytes, aad: string): Buffer {
  const key = keys.find((candidate) => candidate.id === sealed.keyId);
  if (!key) {
    throw new DecryptionError(
      'unknown_key',
      sealed.keyId,
      `The value (${aad}) is encrypted with the key "${sealed.keyId}", which is no longer listed: list it again after the first key`,
    );
  }
  const bytes = sealed.sealed;
  try {
    if (bytes.length < ivBytes + tagBytes) throw new Error('too short');
    const decryption = createDecipheriv(cipher, key.key, bytes.subarray(0, ivBytes), { authTagLength: tagBytes })
      .setAAD(Buffer.from(aad, 'utf8'))
      .setAuthTag(bytes.subarray(bytes.length - tagBytes));
    return Buffer.concat([decryption.update(bytes.subarray(ivBytes, bytes.length - tagBytes)), decryption.final()]);
  } catch {
    // GCM says only that authentication failed; what matters is which value and which key.
    throw new DecryptionError(
      'not_authentic',
      key.id,
      `The value (${aad}) does not decrypt with the key "${key.id}": it was altered or moved from another record, ` +
        'or that key id now names a different key',
    );
  }
}

/** Seals text under the first key: `{ ciphertext, keyId }` to store side by side. */
export function sealText(keys: readonly DataKey[], plaintext: string, aad: string): SealedText {
  const { sealed, keyId } = sealBytes(keys, Buffer.from(plaintext, 'utf8'), aad);
  return { ciphertext: sealed.toString('base64'), keyId };
}

/** Opens text sealed by `sealText` with the same additional authenticated data; throws DecryptionError. */
export function openText(keys: readonly DataKey[], sealed: SealedText, aad: string): string {
  return openBytes(keys, { sealed: Buffer.from(sealed.ciphertext, 'base64'), keyId: sealed.keyId }, aad).toString('utf8');
}

const fingerprintInfo = Buffer.from('tenure/fingerprint/v1', 'utf8');

function fingerprintUnder(key: DataKey, value: string): string {
  const derived = Buffer.from(hkdfSync('sha256', key.key, Buffer.alloc(0), fingerprintInfo, keyBytes));
  return `${key.id}:${createHmac('sha256', derived).update(value, 'utf8').digest('base64url')}`;
}

/**
 * A fingerprint of a value, to find the same value stored twice without decrypting anything:
 * HMAC-SHA256 under a key derived (HKDF) from the first data key, prefixed with that key's id
 * (`<keyId>:<base64url>`). Carrying its key id keeps it meaningful across a rotation: old rows keep
 * the fingerprint made under the old key, and `fingerprintsOf` gives the value's fingerprint under
 * every listed key for a lookup that finds them too.
 */
export function fingerprintOf(keys: readonly DataKey[], value: string): string {
  return fingerprintUnder(encryptingKey(keys), value);
}

/** The value's fingerprint under each listed key, the first key's first: what a duplicate search matches. */
export function fingerprintsOf(keys: readonly DataKey[], value: string): string[] {
  return keys.map((key) => fingerprintUnder(key, value));
}
