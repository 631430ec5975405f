import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStorage } from './object-storage.ts';

export interface ContractSubject {
  storage: ObjectStorage;
  close(): Promise<void>;
}

/**
 * What every `ObjectStorage` adapter promises, run against each of them: the same test bodies for
 * the local folder and for S3, so the two cannot drift apart.
 */
export function objectStorageContract(name: string, open: () => Promise<ContractSubject>): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    let subject: ContractSubject;
    const storage = () => subject.storage;
    // Each test writes under a prefix of its own.
    const fresh = () => `contract-${randomBytes(4).toString('hex')}`;

    beforeAll(async () => {
      subject = await open();
    });
    afterAll(() => subject.close());

    it('gives back exactly the bytes it was given, and an overwrite replaces them', async () => {
      const key = `${fresh()}/audit/2026-08/part-0001.jsonl.gz`;
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await storage().put(key, bytes, { contentType: 'application/gzip' });
      expect(await storage().get(key)).toEqual(bytes);
      await storage().put(key, Buffer.from('second'));
      expect((await storage().get(key))?.toString()).toBe('second');
      await storage().put(`${key}-empty`, Buffer.alloc(0));
      expect(await storage().get(`${key}-empty`)).toEqual(Buffer.alloc(0));
    });

    it('answers undefined for a key with no object', async () => {
      expect(await storage().get(`${fresh()}/never-written`)).toBeUndefined();
    });

    it('takes keys with every character the key rules allow', async () => {
      const key = `${fresh()}/Mixed_Case-1.2/it's(a)*key!`;
      await storage().put(key, Buffer.from('odd'));
      expect((await storage().get(key))?.toString()).toBe('odd');
      expect(await storage().list(key)).toEqual([key]);
    });

    it('lists the keys under a prefix, sorted, and only those', async () => {
      const prefix = fresh();
      const keys = [`${prefix}/b/2`, `${prefix}/a`, `${prefix}/b/1`, `${prefix}/c.txt`];
      for (const key of keys) await storage().put(key, Buffer.from(key));
      await storage().put(`${prefix}-elsewhere/a`, Buffer.from('not under the prefix'));
      expect(await storage().list(`${prefix}/`)).toEqual([...keys].sort());
      expect(await storage().list(`${prefix}/b/`)).toEqual([`${prefix}/b/1`, `${prefix}/b/2`]);
      expect(await storage().list(`${prefix}/nothing/`)).toEqual([]);
    });

    it('lists many keys in full', async () => {
      const prefix = fresh();
      const keys = Array.from({ length: 25 }, (_, i) => `${prefix}/object-${String(i).padStart(3, '0')}`);
      await Promise.all(keys.map((key) => storage().put(key, Buffer.from('x'))));
      expect(await storage().list(`${prefix}/`)).toEqual(keys);
    });

    it('deletes an object, and deleting a missing one is no error', async () => {
      const key = `${fresh()}/doomed`;
      await storage().put(key, Buffer.from('x'));
      await storage().delete(key);
      expect(await storage().get(key)).toBeUndefined();
      expect(await storage().list(key)).toEqual([]);
      await expect(storage().delete(key)).resolves.toBeUndefined();
    });

    it('refuses keys that could escape their folder or that S3 would read differently', async () => {
      for (const key of [
        '..',
        '../etc/passwd',
        'a/../b',
        'a/./b',
        '.',
        '/absolute',
        'a//b',
        'trailing/',
        '',
        'with space',
        'back\\slash',
      ]) {
        await expect(storage().put(key, Buffer.from('x')), key).rejects.toThrow(/Invalid object key/);
        await expect(storage().get(key), key).rejects.toThrow(/Invalid object key/);
        await expect(storage().delete(key), key).rejects.toThrow(/Invalid object key/);
      }
    });
  });
}
