import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataEncryptionKeys, loadConfig } from './config.ts';
import { DecryptionError, fingerprintOf, fingerprintsOf, openText, sealText } from './encryption.ts';

const key = (id: string) => ({ id, key: randomBytes(32) });
const k2026 = key('k2026');
const k2027 = key('k2027');

describe('field encryption', () => {
  it('seals with the first key and opens what it sealed, for any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), (plaintext) => {
        const sealed = sealText([k2026], plaintext, 'bank_account:1');
        expect(sealed.keyId).toBe('k2026');
        expect(openText([k2026], sealed, 'bank_account:1')).toBe(plaintext);
      }),
    );
  });

  it('stores base64 of a 12-byte IV, the ciphertext and a 16-byte tag, never the plaintext', () => {
    const first = sealText([k2026], '000123456789', 'bank_account:1');
    const second = sealText([k2026], '000123456789', 'bank_account:1');
    const bytes = Buffer.from(first.ciphertext, 'base64');
    expect(bytes.toString('base64')).toBe(first.ciphertext);
    expect(bytes).toHaveLength(12 + '000123456789'.length + 16);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(first.ciphertext).not.toContain('123456789');
  });

  it('opens values of an older key once a new key is listed first (a rotation)', () => {
    const old = sealText([k2026], '987654321', 'bank_account:7');
    const rotated = [k2027, k2026];
    expect(openText(rotated, old, 'bank_account:7')).toBe('987654321');
    const fresh = sealText(rotated, '987654321', 'bank_account:7');
    expect(fresh.keyId).toBe('k2027');
    expect(openText(rotated, fresh, 'bank_account:7')).toBe('987654321');
  });

  it('names the key when it is no longer listed', () => {
    const sealed = sealText([k2026], '987654321', 'bank_account:7');
    expect(() => openText([k2027], sealed, 'bank_account:7')).toThrow(
      new DecryptionError(
        'unknown_key',
        'k2026',
        'The value (bank_account:7) is encrypted with the key "k2026", which is no longer listed: list it again after the first key',
      ),
    );
  });

  it('refuses a value altered, moved to another record, or opened with another key under the same id', () => {
    const sealed = sealText([k2026], '987654321', 'bank_account:7');
    const bytes = Buffer.from(sealed.ciphertext, 'base64');
    bytes[14] = bytes[14]! ^ 1;
    const refusal = (attempt: () => unknown) => {
      try {
        attempt();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    for (const attempt of [
      () => openText([k2026], { ...sealed, ciphertext: bytes.toString('base64') }, 'bank_account:7'),
      () => openText([k2026], sealed, 'bank_account:8'),
      () => openText([{ id: 'k2026', key: randomBytes(32) }], sealed, 'bank_account:7'),
      () => openText([k2026], { ...sealed, ciphertext: 'AAAA' }, 'bank_account:7'),
    ]) {
      const error = refusal(attempt);
      expect(error).toBeInstanceOf(DecryptionError);
      expect(error).toMatchObject({ reason: 'not_authentic', keyId: 'k2026' });
      expect((error as Error).message).toContain('"k2026"');
    }
  });

  it('uses the keys of DATA_ENCRYPTION_KEYS', () => {
    const keys = dataEncryptionKeys(
      loadConfig({}, { DATA_ENCRYPTION_KEYS: `new:${k2027.key.toString('base64')},old:${k2026.key.toString('base64')}` }),
    );
    const sealed = sealText(keys, '42', 'x');
    expect(sealed.keyId).toBe('new');
    expect(openText([{ id: 'new', key: k2027.key }], sealed, 'x')).toBe('42');
  });

  it('refuses to seal with no key', () => {
    expect(() => sealText([], 'x', 'y')).toThrow('No data encryption key is listed');
  });
});

describe('fingerprints', () => {
  it('are stable for a key, differ between values and keys, and carry their key id', () => {
    const one = fingerprintOf([k2026], 'US:021000021:000123456789');
    expect(one).toMatch(/^k2026:[A-Za-z0-9_-]{43}$/);
    expect(fingerprintOf([k2026, k2027], 'US:021000021:000123456789')).toBe(one);
    expect(fingerprintOf([k2026], 'US:021000021:000123456780')).not.toBe(one);
    expect(fingerprintOf([k2027], 'US:021000021:000123456789')).not.toBe(one);
    expect(one).not.toContain('123456789');
  });

  it('under every listed key find a value fingerprinted before a rotation', () => {
    const before = fingerprintOf([k2026], 'GB:123456:12345678');
    const after = fingerprintsOf([k2027, k2026], 'GB:123456:12345678');
    expect(after).toHaveLength(2);
    expect(after[0]).toBe(fingerprintOf([k2027, k2026], 'GB:123456:12345678'));
    expect(after).toContain(before);
  });
});
