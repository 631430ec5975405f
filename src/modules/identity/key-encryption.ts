import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningKeySecret } from '../../platform/config.ts';

/**
 * The signing keys' private halves at rest: AES-256-GCM under a secret from SIGNING_KEY_SECRETS,
 * with a random 12-byte IV and the key's kid as additional authenticated data, so a ciphertext
 * copied onto another key's row does not decrypt. Stored as IV ‖ ciphertext ‖ tag.
 */
export interface SealedPrivateKey {
  ciphertext: Buffer;
  secretId: string;
}

const cipher = 'aes-256-gcm';
const ivBytes = 12;
const tagBytes = 16;

/** Refused decryption of a signing key, said plainly: which key, which secret, and what to do. */
export class SigningKeyDecryptionError extends Error {
  override readonly name = 'SigningKeyDecryptionError';
}

export function sealPrivateKey(secrets: readonly SigningKeySecret[], kid: string, privateJwk: JWK): SealedPrivateKey {
  const secret = secrets[0];
  if (!secret) throw new Error('SIGNING_KEY_SECRETS lists no secret');
  const iv = randomBytes(ivBytes);
  const encryption = createCipheriv(cipher, secret.key, iv, { authTagLength: tagBytes }).setAAD(Buffer.from(kid, 'utf8'));
  const encrypted = Buffer.concat([encryption.update(JSON.stringify(privateJwk), 'utf8'), encryption.final()]);
  return { ciphertext: Buffer.concat([iv, encrypted, encryption.getAuthTag()]), secretId: secret.id };
}

export function openPrivateKey(secrets: readonly SigningKeySecret[], kid: string, sealed: SealedPrivateKey): JWK {
  const secret = secrets.find((candidate) => candidate.id === sealed.secretId);
  if (!secret) {
    throw new SigningKeyDecryptionError(
      `Signing key ${kid} is encrypted with the secret "${sealed.secretId}", which SIGNING_KEY_SECRETS no longer lists; ` +
        'list it again (after the first secret) until a key encrypted with the new secret signs',
    );
  }
  const { ciphertext } = sealed;
  try {
    const decryption = createDecipheriv(cipher, secret.key, ciphertext.subarray(0, ivBytes), { authTagLength: tagBytes })
      .setAAD(Buffer.from(kid, 'utf8'))
      .setAuthTag(ciphertext.subarray(ciphertext.length - tagBytes));
    const plain = Buffer.concat([decryption.update(ciphertext.subarray(ivBytes, ciphertext.length - tagBytes)), decryption.final()]);
    return JSON.parse(plain.toString('utf8')) as JWK;
  } catch {
    // GCM says only that authentication failed; what matters is which key and which secret.
    throw new SigningKeyDecryptionError(
      `Signing key ${kid} does not decrypt with the secret "${secret.id}": the stored key was altered, ` +
        'or that secret id now names a different secret',
    );
  }
}
