/**
 * Where files and archives live: a local folder by default, any S3-compatible store when `S3_*` is
 * set. Keys are `/`-separated paths such as `audit/2026-08/part-0001.jsonl.gz`.
 */
export interface ObjectStorage {
  put(key: string, body: Buffer, options?: { contentType?: string }): Promise<void>;
  /** The object's bytes, or undefined when there is none under that key. */
  get(key: string): Promise<Buffer | undefined>;
  /** Keys under a prefix, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
}

const keyPattern = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

/** Refuses keys that could escape a folder or that an S3 store would treat differently. */
export function assertValidKey(key: string): void {
  if (!keyPattern.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new Error(`Invalid object key ${JSON.stringify(key)}`);
  }
}
