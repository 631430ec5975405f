import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { assertValidKey, type ObjectStorage } from './object-storage.ts';

export interface S3StorageOptions {
  /** An S3-compatible endpoint such as `http://127.0.0.1:9000`; unset: AWS S3 of the region. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type S3Storage = ObjectStorage & {
  /** Closes the client's pooled connections. */
  destroy(): void;
};

/**
 * Objects in one bucket of any S3-compatible store, addressed path-style (`/bucket/key`), which
 * every S3-compatible server understands. Checksums are sent only where S3 requires them: the
 * CRC trailers newer SDKs add by default are refused by several S3-compatible stores.
 */
export function s3Storage(options: S3StorageOptions): S3Storage {
  const { bucket } = options;
  const client = new S3Client({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    region: options.region,
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  /** Runs one S3 call; a failure names the operation, the object and the store's own error code. */
  async function call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new Error(`S3 ${operation} of ${JSON.stringify(key)} in bucket ${bucket} failed: ${describe(error)}`, { cause: error });
    }
  }

  return {
    async put(key, body, putOptions) {
      assertValidKey(key);
      await call('PutObject', key, () =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.length,
            ContentType: putOptions?.contentType ?? 'application/octet-stream',
          }),
        ),
      );
    },
    async get(key) {
      assertValidKey(key);
      try {
        const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!reply.Body) return Buffer.alloc(0);
        return Buffer.from(await reply.Body.transformToByteArray());
      } catch (error) {
        if (error instanceof S3ServiceException && error.name === 'NoSuchKey') return undefined;
        throw new Error(`S3 GetObject of ${JSON.stringify(key)} in bucket ${bucket} failed: ${describe(error)}`, { cause: error });
      }
    },
    async list(prefix) {
      const keys: string[] = [];
      let continuationToken: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await call('ListObjectsV2', prefix, () =>
          client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: continuationToken })),
        );
        for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
        if (page.IsTruncated && !continuationToken) {
          throw new Error(`S3 ListObjectsV2 of ${JSON.stringify(prefix)} in bucket ${bucket} was truncated without a continuation token`);
        }
      } while (continuationToken);
      return keys.sort();
    },
    async delete(key) {
      assertValidKey(key);
      await call('DeleteObject', key, () => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },
    destroy() {
      client.destroy();
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof S3ServiceException) {
    return `${error.name} (HTTP ${error.$metadata.httpStatusCode ?? '?'}): ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}
