import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeS3, startFakeS3 } from '../../../test/fakes/s3-server.ts';
import { loadConfig } from '../config.ts';
import { createObjectStorage, localStorage, s3Storage, type S3Storage } from './index.ts';
import { objectStorageContract } from './object-storage.contract.ts';

const bucket = 'tenure-test';

function clientOf(fake: FakeS3, overrides: { secretAccessKey?: string; accessKeyId?: string } = {}): S3Storage {
  return s3Storage({
    endpoint: fake.endpoint,
    region: fake.region,
    bucket,
    accessKeyId: overrides.accessKeyId ?? fake.accessKeyId,
    secretAccessKey: overrides.secretAccessKey ?? fake.secretAccessKey,
  });
}

objectStorageContract('local folder', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'tenure-storage-'));
  return { storage: localStorage(root), close: () => rm(root, { recursive: true, force: true }) };
});

// A small page size, so the contract's listings span several ListObjectsV2 pages.
objectStorageContract('S3 (local fake S3 verifying SigV4, 4 keys a page)', async () => {
  const fake = await startFakeS3({ buckets: [bucket], pageSize: 4 });
  const storage = clientOf(fake);
  return {
    storage,
    close: async () => {
      storage.destroy();
      await fake.close();
    },
  };
});

describe('S3 adapter', () => {
  let fake: FakeS3;
  let storage: S3Storage;

  beforeAll(async () => {
    fake = await startFakeS3({ buckets: [bucket], pageSize: 3 });
    storage = clientOf(fake);
  });
  afterAll(async () => {
    storage.destroy();
    await fake.close();
  });

  it('stores objects path-style in the bucket, under their keys, with their content type', async () => {
    await storage.put('documents/lease-42.pdf', Buffer.from('%PDF'), { contentType: 'application/pdf' });
    const stored = fake.buckets.get(bucket)?.get('documents/lease-42.pdf');
    expect(stored?.body.toString()).toBe('%PDF');
    expect(stored?.contentType).toBe('application/pdf');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/${bucket}/documents/lease-42.pdf`, status: 200 });
  });

  it('follows continuation tokens until the listing is complete', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `paged/${String(i).padStart(2, '0')}`);
    for (const key of keys) await storage.put(key, Buffer.from(key));
    const before = fake.requests.length;
    expect(await storage.list('paged/')).toEqual(keys);
    const listings = fake.requests.slice(before);
    expect(listings.map((request) => request.query.get('list-type'))).toEqual(['2', '2', '2', '2']);
    expect(listings.map((request) => request.query.get('prefix'))).toEqual(['paged/', 'paged/', 'paged/', 'paged/']);
    expect(listings[0]!.query.has('continuation-token')).toBe(false);
    expect(listings.slice(1).every((request) => request.query.get('continuation-token'))).toBe(true);
  });

  it('fails with a clear error when the secret is wrong, and stores nothing', async () => {
    const wrong = clientOf(fake, { secretAccessKey: 'not-the-secret' });
    try {
      await expect(wrong.put('refused/object', Buffer.from('x'))).rejects.toThrow(
        /^S3 PutObject of "refused\/object" in bucket tenure-test failed: SignatureDoesNotMatch \(HTTP 403\)/,
      );
      await expect(wrong.get('documents/lease-42.pdf')).rejects.toThrow(/GetObject .* SignatureDoesNotMatch/);
      await expect(wrong.list('')).rejects.toThrow(/ListObjectsV2 .* SignatureDoesNotMatch/);
      expect(fake.buckets.get(bucket)?.has('refused/object')).toBe(false);
      expect(fake.requests.at(-1)?.status).toBe(403);
    } finally {
      wrong.destroy();
    }
  });

  it('fails with a clear error for an unknown access key or bucket', async () => {
    const stranger = clientOf(fake, { accessKeyId: 'AKIAUNKNOWN' });
    const elsewhere = s3Storage({ ...fake, bucket: 'no-such-bucket' });
    try {
      await expect(stranger.get('x')).rejects.toThrow(/InvalidAccessKeyId \(HTTP 403\)/);
      await expect(elsewhere.get('x')).rejects.toThrow(/bucket no-such-bucket failed: NoSuchBucket \(HTTP 404\)/);
    } finally {
      stranger.destroy();
      elsewhere.destroy();
    }
  });

  it('is what createObjectStorage returns when S3_BUCKET is set', async () => {
    const config = loadConfig(
      {},
      {
        S3_ENDPOINT: fake.endpoint,
        S3_BUCKET: bucket,
        S3_ACCESS_KEY_ID: fake.accessKeyId,
        S3_SECRET_ACCESS_KEY: fake.secretAccessKey,
      },
    );
    expect(config.S3_REGION).toBe('us-east-1');
    const fromConfig = createObjectStorage(config);
    await fromConfig.put('factory/made', Buffer.from('by config'));
    expect(fake.buckets.get(bucket)?.get('factory/made')?.body.toString()).toBe('by config');
    (fromConfig as S3Storage).destroy();
  });
});

describe('createObjectStorage without S3_BUCKET', () => {
  it('keeps objects in the local folder', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'tenure-storage-'));
    try {
      const storage = createObjectStorage({ ...loadConfig({}), STORAGE_DIR: root });
      await storage.put('audit/2026-08/part-0001.jsonl.gz', Buffer.from('local'));
      expect(await readFile(path.join(root, 'audit', '2026-08', 'part-0001.jsonl.gz'), 'utf8')).toBe('local');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('S3 settings', () => {
  const rejection = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    return 'accepted';
  };

  it('require the access key and secret when a bucket is set, named in one line', () => {
    expect(rejection({ S3_BUCKET: bucket })).toBe('Invalid configuration: S3_ACCESS_KEY_ID is required when S3_BUCKET is set');
    expect(rejection({ S3_BUCKET: bucket, S3_ACCESS_KEY_ID: 'AKIA' })).toBe(
      'Invalid configuration: S3_SECRET_ACCESS_KEY is required when S3_BUCKET is set',
    );
    expect(rejection({ S3_BUCKET: bucket, S3_ACCESS_KEY_ID: 'AKIA', S3_SECRET_ACCESS_KEY: 'secret' })).toBe('accepted');
    expect(rejection({ S3_ACCESS_KEY_ID: 'AKIA' })).toBe('accepted');
  });

  it('refuse a malformed endpoint or bucket, never echoing the secret', () => {
    expect(rejection({ S3_ENDPOINT: 'ftp://store' })).toMatch(/^Invalid configuration: S3_ENDPOINT must start with http/);
    expect(rejection({ S3_BUCKET: 'Bad_Bucket' })).toMatch(/^Invalid configuration: S3_BUCKET must be a bucket name/);
    expect(rejection({ S3_SECRET_ACCESS_KEY: '', S3_BUCKET: bucket, S3_ACCESS_KEY_ID: 'AKIA' })).not.toContain('secret');
  });
});
