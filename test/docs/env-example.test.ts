import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';

const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
const listed = new Map(
  example
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=(\S*)/.exec(line))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!]),
);

describe('.env.example', () => {
  it('lists every setting the configuration reads, with its real default', () => {
    const defaults = loadConfig({});
    expect([...listed.keys()].sort()).toEqual(
      Object.keys(defaults)
        .concat([
          'DATABASE_URL',
          'NATS_URL',
          'OPERATOR_TOKEN',
          'PLATFORM_ADMIN_EMAIL',
          'PLATFORM_ADMIN_PASSWORD',
          'REDIS_URL',
          'S3_ENDPOINT',
          'S3_BUCKET',
          'S3_ACCESS_KEY_ID',
          'S3_SECRET_ACCESS_KEY',
          'STRIPE_SECRET_KEY',
          'STRIPE_WEBHOOK_SECRETS',
          'MPESA_CONSUMER_KEY',
          'MPESA_CONSUMER_SECRET',
          'MPESA_SHORTCODE',
          'MPESA_PASSKEY',
          'MPESA_CALLBACK_TOKEN',
          'MPESA_B2C_SHORTCODE',
          'MPESA_B2C_INITIATOR_NAME',
          'MPESA_B2C_SECURITY_CREDENTIAL',
        ])
        .filter((key, i, all) => all.indexOf(key) === i)
        .sort(),
    );
    for (const [key, value] of listed) {
      if (value === '') continue;
      expect(String(defaults[key as keyof typeof defaults]), key).toBe(value);
    }
  });
});
