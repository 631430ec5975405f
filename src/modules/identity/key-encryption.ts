import type { JWK } from 'jose';
import type { SigningKeySecret } from '../../platform/config.ts';
import { DecryptionError, openBytes, sealBytes } from '../../platform/encryption.ts';

/**
 * The signing keys' private halves at rest: AES-256-GCM under a secret from SIGNING_KEY_SECRETS
 * (src/platform/encryption.ts), with a random 12-byte IV and the key's kid as additional
 * authenticated data, so a ciphertext copied onto another key's row does not decrypt. Stored as
 * IV ‖ ciphertext ‖ tag.
 */
export interface SealedPrivateKey {
  ciphertext: Buffer;
  secretId: string;
}

/** Refused decryption of a signing key, said plainly: which key, which secret, and what to do. */
export class SigningKeyDecryptionError extends Error {
  override readonly name = 'SigningKeyDecryptionError';
}

export function sealPrivateKey(secrets: readonly SigningKeySecret[], kid: string, privateJwk: JWK): SealedPrivateKey {
  if (secrets.length === 0) throw new Error('SIGNING_KEY_SECRETS lists no secret');
  const { sealed, keyId } = sealBytes(secrets, Buffer.from(JSON.stringify(privateJwk), 'utf8'), kid);
  return { ciphertext: sealed, secretId: keyId };
}

export function openPrivateKey(secrets: readonly SigningKeySecret[], kid: string, sealed: SealedPrivateKey): JWK {
  let plain: Buffer;
  try {
    plain = openBytes(secrets, { sealed: sealed.ciphertext, keyId: sealed.secretId }, kid);
  } catch (error) {
    if (!(error instanceof DecryptionError)) throw error;
    if (error.reason === 'unknown_key') {
      throw new SigningKeyDecryptionError(
        `Signing key ${kid} is encrypted with the secret "${sealed.secretId}", which SIGNING_KEY_SECRETS no longer lists; ` +
          'list it again (after the first secret) until a key encrypted with the new secret signs',
      );
    }
    throw new SigningKeyDecryptionError(
      `Signing key ${kid} does not decrypt with the secret "${error.keyId}": the stored key was altered, ` +
        'or that secret id now names a different secret',
    );
  }
  return JSON.parse(plain.toString('utf8')) as JWK;
}
