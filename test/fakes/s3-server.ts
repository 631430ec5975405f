import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3 that speaks the path-style REST protocol on loopback — PutObject, GetObject,
 * DeleteObject and ListObjectsV2 — and verifies AWS Signature Version 4 on every request exactly as
 * S3 does: it rebuilds the canonical request from the method, path, query, signed headers and
 * payload hash, derives the signing key from the secret it knows, and refuses a mismatch with
 * `403 SignatureDoesNotMatch`. It also checks a signed payload hash against the body it received.
 */
export interface FakeS3 {
  /** `http://127.0.0.1:<port>`, the endpoint to give the client. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Objects by bucket, then key. */
  buckets: Map<string, Map<string, StoredObject>>;
  /** Every request as received, after signature verification: method, path and query. */
  requests: { method: string; path: string; query: URLSearchParams; status: number }[];
  close(): Promise<void>;
}

interface StoredObject {
  body: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface FakeS3Options {
  buckets?: string[];
  region?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** The most keys one ListObjectsV2 page holds, whatever max-keys asks (S3's own cap is 1000). */
  pageSize?: number;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource?: string,
  ) {
    super(message);
  }
}

export async function startFakeS3(options: FakeS3Options = {}): Promise<FakeS3> {
  const region = options.region ?? 'us-east-1';
  const accessKeyId = options.accessKeyId ?? 'AKIAFAKES3TESTKEY';
  const secretAccessKey = options.secretAccessKey ?? 'fake-s3-secret-access-key-for-tests';
  const pageSize = Math.min(options.pageSize ?? 1000, 1000);
  const buckets = new Map((options.buckets ?? ['tenure-test']).map((name) => [name, new Map<string, StoredObject>()]));
  const requests: FakeS3['requests'] = [];

  const server: Server = createServer((request, response) => {
    void handle(request, response);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    response.setHeader('x-amz-request-id', requestId);
    const [rawPath, rawQuery = ''] = (request.url ?? '/').split('?', 2) as [string, string?];
    try {
      const body = await readBody(request);
      verifySignature(request, rawPath, rawQuery, body, { region, accessKeyId, secretAccessKey });
      const query = new URLSearchParams(rawQuery);
      const [bucketName, ...keyParts] = rawPath.slice(1).split('/');
      const key = keyParts.map(decodeURIComponent).join('/');
      const bucket = bucketName ? buckets.get(decodeURIComponent(bucketName)) : undefined;
      if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucketName ?? ''}`);
      const status = respond(request.method ?? 'GET', bucketName!, bucket, key, query, body, request, response);
      requests.push({ method: request.method ?? 'GET', path: rawPath, query, status });
    } catch (error) {
      const s3Error =
        error instanceof S3Error ? error : new S3Error(500, 'InternalError', error instanceof Error ? error.message : String(error));
      requests.push({ method: request.method ?? 'GET', path: rawPath, query: new URLSearchParams(rawQuery), status: s3Error.status });
      sendXml(
        response,
        s3Error.status,
        `<Error><Code>${s3Error.code}</Code><Message>${xml(s3Error.message)}</Message>${
          s3Error.resource ? `<Resource>${xml(s3Error.resource)}</Resource>` : ''
        }<RequestId>${requestId}</RequestId></Error>`,
        request.method === 'HEAD',
      );
    }
  }

  function respond(
    method: string,
    bucketName: string,
    bucket: Map<string, StoredObject>,
    key: string,
    query: URLSearchParams,
    body: Buffer,
    request: IncomingMessage,
    response: ServerResponse,
  ): number {
    if (key === '' && method === 'GET' && query.get('list-type') === '2') {
      const prefix = query.get('prefix') ?? '';
      const maxKeys = Math.min(Number(query.get('max-keys') ?? 1000), pageSize);
      const token = query.get('continuation-token');
      const after = token === null ? undefined : Buffer.from(token, 'base64url').toString('utf8');
      const keys = [...bucket.keys()]
        .filter((candidate) => candidate.startsWith(prefix) && (after === undefined || candidate > after))
        .sort(byBytes);
      const page = keys.slice(0, maxKeys);
      const truncated = keys.length > page.length;
      const contents = page
        .map((name) => {
          const object = bucket.get(name)!;
          return `<Contents><Key>${xml(name)}</Key><LastModified>${object.lastModified.toISOString()}</LastModified><ETag>${xml(
            object.etag,
          )}</ETag><Size>${object.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      sendXml(
        response,
        200,
        `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucketName)}</Name><Prefix>${xml(
          prefix,
        )}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${
          token === null ? '' : `<ContinuationToken>${xml(token)}</ContinuationToken>`
        }${truncated ? `<NextContinuationToken>${Buffer.from(page.at(-1)!, 'utf8').toString('base64url')}</NextContinuationToken>` : ''}${contents}</ListBucketResult>`,
      );
      return 200;
    }
    if (key === '') throw new S3Error(400, 'InvalidRequest', `${method} on a bucket is not supported by this fake`);
    if (method === 'PUT') {
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      bucket.set(key, {
        body,
        contentType: request.headers['content-type'] ?? 'application/octet-stream',
        etag,
        lastModified: new Date(),
      });
      response.writeHead(200, { etag, 'content-length': 0 }).end();
      return 200;
    }
    if (method === 'GET' || method === 'HEAD') {
      const object = bucket.get(key);
      if (!object) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', `/${bucketName}/${key}`);
      response.writeHead(200, {
        'content-type': object.contentType,
        'content-length': object.body.length,
        etag: object.etag,
        'last-modified': object.lastModified.toUTCString(),
      });
      response.end(method === 'HEAD' ? undefined : object.body);
      return 200;
    }
    if (method === 'DELETE') {
      bucket.delete(key);
      response.writeHead(204).end();
      return 204;
    }
    throw new S3Error(405, 'MethodNotAllowed', `The specified method is not allowed against this resource: ${method}`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region,
    accessKeyId,
    secretAccessKey,
    buckets,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function sendXml(response: ServerResponse, status: number, body: string, headOnly = false): void {
  const payload = `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
  response.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(payload) });
  response.end(headOnly ? undefined : payload);
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** S3 lists keys in the order of their UTF-8 bytes. */
function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 encoding, as SigV4 wants it: everything but unreserved characters is %XX. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

const authorizationPattern =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

/** Recomputes the request's SigV4 signature and refuses it unless it matches the one it carries. */
function verifySignature(
  request: IncomingMessage,
  rawPath: string,
  rawQuery: string,
  body: Buffer,
  known: { region: string; accessKeyId: string; secretAccessKey: string },
): void {
  const authorization = request.headers.authorization;
  if (!authorization) throw new S3Error(403, 'AccessDenied', 'Anonymous access is not allowed');
  const match = authorizationPattern.exec(authorization);
  if (!match) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
  const [, accessKeyId, date, region, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string];
  if (accessKeyId !== known.accessKeyId) {
    throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (region !== known.region) {
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `the region '${region}' is wrong; expecting '${known.region}'`);
  }
  const amzDate = request.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date) {
    throw new S3Error(403, 'AccessDenied', 'x-amz-date is missing or does not match the credential scope');
  }
  const skewMs = Math.abs(
    Date.now() -
      Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`),
  );
  if (skewMs > 15 * 60 * 1000)
    throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  const payloadHash = request.headers['x-amz-content-sha256'];
  if (typeof payloadHash !== 'string')
    throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
  if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    if (!/^[0-9a-f]{64}$/.test(payloadHash))
      throw new S3Error(400, 'InvalidArgument', `x-amz-content-sha256 ${payloadHash} is not supported by this fake`);
    if (payloadHash !== sha256Hex(body)) {
      throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
  }

  const signedHeaders = signedHeaderList.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!signedHeaders.includes(required)) throw new S3Error(403, 'AccessDenied', `The header ${required} must be signed`);
  }
  const canonicalHeaders = signedHeaders
    .map((name) => {
      const value = request.headers[name];
      const text = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${text.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalQuery = rawQuery
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const [name = '', value = ''] = pair.split(/=(.*)/s, 2);
      return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  // S3 signs the path as sent, encoded once, without normalising it.
  const canonicalRequest = [request.method, rawPath, canonicalQuery, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${known.secretAccessKey}`, date), region), 's3'), 'aws4_request');
  const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest();
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    throw new S3Error(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
}
