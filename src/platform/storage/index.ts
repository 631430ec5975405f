import type { Config } from '../config.ts';
import { localStorage } from './local-storage.ts';
import type { ObjectStorage } from './object-storage.ts';
import { s3Storage } from './s3-storage.ts';

export type { ObjectStorage } from './object-storage.ts';
export { assertValidKey } from './object-storage.ts';
export { localStorage } from './local-storage.ts';
export { s3Storage, type S3Storage, type S3StorageOptions } from './s3-storage.ts';

export type StorageConfig = Pick<
  Config,
  'S3_ENDPOINT' | 'S3_REGION' | 'S3_BUCKET' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY' | 'STORAGE_DIR'
>;

/** Any S3-compatible store when `S3_BUCKET` is set, else a local folder (`STORAGE_DIR`). */
export function createObjectStorage(config: StorageConfig): ObjectStorage {
  if (config.S3_BUCKET !== undefined) {
    const { S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = config;
    // loadConfig already refuses S3_BUCKET without them; this guards a hand-built configuration.
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required when S3_BUCKET is set');
    }
    return s3Storage({ endpoint: config.S3_ENDPOINT, region: config.S3_REGION, bucket: config.S3_BUCKET, accessKeyId, secretAccessKey });
  }
  return localStorage(config.STORAGE_DIR);
}
