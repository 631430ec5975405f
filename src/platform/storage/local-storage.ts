import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { uuidv7 } from '../ids.ts';
import { assertValidKey, type ObjectStorage } from './object-storage.ts';

/** Objects as files under one folder; a write lands whole or not at all (write, then rename). */
export function localStorage(root: string): ObjectStorage {
  const base = path.resolve(root);
  const fileOf = (key: string) => {
    assertValidKey(key);
    return path.join(base, ...key.split('/'));
  };
  return {
    async put(key, body) {
      const file = fileOf(key);
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${uuidv7()}.partial`;
      await writeFile(partial, body);
      await rename(partial, file);
    },
    async get(key) {
      try {
        return await readFile(fileOf(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      const walk = async (dir: string, relative: string) => {
        let entries;
        try {
          entries = await readdir(dir, { withFileTypes: true });
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw error;
        }
        for (const entry of entries) {
          const key = relative ? `${relative}/${entry.name}` : entry.name;
          if (entry.isDirectory()) await walk(path.join(dir, entry.name), key);
          else if (!entry.name.endsWith('.partial') && key.startsWith(prefix)) keys.push(key);
        }
      };
      await walk(base, '');
      return keys.sort();
    },
    async delete(key) {
      await rm(fileOf(key), { force: true });
    },
  };
}
