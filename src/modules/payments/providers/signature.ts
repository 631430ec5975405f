import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookRejected } from './port.ts';

/**
 * The `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` signature scheme (Stripe's, which our sandbox and
 * outbound webhooks use too): HMAC-SHA256 keyed with the endpoint secret over `"<t>.<raw body>"`,
 * hex-encoded. Any `v1` matching any of the secrets is accepted, compared in constant time, so a
 * secret can rotate; a timestamp older or newer than the tolerance is refused.
 */

export function signatureOf(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

export function signatureHeader(secrets: readonly string[], rawBody: Buffer | string, now: Date): string {
  const timestamp = Math.floor(now.getTime() / 1000);
  return [`t=${timestamp}`, ...secrets.map((secret) => `v1=${signatureOf(secret, timestamp, rawBody)}`)].join(',');
}

export function verifySignatureHeader(
  header: string | string[] | undefined,
  rawBody: Buffer,
  options: { secrets: readonly string[]; now: Date; toleranceSeconds: number },
): void {
  if (header === undefined || header === '') throw new WebhookRejected('signature_missing', 'The delivery carries no signature');
  if (Array.isArray(header)) throw new WebhookRejected('signature_invalid', 'The delivery carries several signature headers');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2);
    if (key === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (key === 'v1' && value !== undefined && /^[0-9a-f]{64}$/.test(value)) signatures.push(value);
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookRejected('signature_invalid', 'The signature header has no timestamp or no v1 signature');
  }
  const matches = options.secrets.some((secret) => {
    const expected = Buffer.from(signatureOf(secret, timestamp, rawBody), 'hex');
    return signatures.some((signature) => timingSafeEqual(expected, Buffer.from(signature, 'hex')));
  });
  if (!matches) throw new WebhookRejected('signature_invalid', 'No signature matches the payload');
  const age = Math.abs(options.now.getTime() / 1000 - timestamp);
  if (age > options.toleranceSeconds) {
    throw new WebhookRejected(
      'timestamp_out_of_tolerance',
      `The delivery was signed ${Math.round(age)} s from now; at most ${options.toleranceSeconds} s are accepted`,
    );
  }
}
