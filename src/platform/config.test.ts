import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  dataEncryptionKeys,
  developmentDataEncryptionKeys,
  developmentSandboxWebhookSecret,
  developmentSigningKeySecrets,
  loadConfig,
  redactUrl,
  signingKeySecrets,
} from './config.ts';

/** The message of the error loadConfig throws for this environment. */
function rejection(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives every setting its default when the environment is empty', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      NODE_ENV: 'development',
      HOST: '0.0.0.0',
      PORT: 3000,
      TENURE_ROLE: 'all',
      LOG_LEVEL: 'info',
      TRUST_PROXY: false,
      DATABASE_POOL_MAX: 10,
      EMBEDDED_POSTGRES_DIR: 'data/postgres',
      EMBEDDED_POSTGRES_PORT: 54329,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      IDEMPOTENCY_KEY_TTL_HOURS: 24,
      NATS_STREAM: 'TENURE_EVENTS',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.NATS_URL).toBeUndefined();
    expect(config.OPERATOR_TOKEN).toBeUndefined();
  });

  it('reads numbers and flags from their text', () => {
    const config = loadConfig({ PORT: '8080', TRUST_PROXY: 'yes', DATABASE_URL: 'postgresql://tenure:secret@db:5432/tenure' });
    expect(config.PORT).toBe(8080);
    expect(config.TRUST_PROXY).toBe(true);
    expect(config.DATABASE_URL).toBe('postgresql://tenure:secret@db:5432/tenure');
  });

  it('treats an empty string as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', TENURE_ROLE: '', NATS_URL: '', OPERATOR_TOKEN: '' });
    expect(config.PORT).toBe(3000);
    expect(config.TENURE_ROLE).toBe('all');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.NATS_URL).toBeUndefined();
    expect(config.OPERATOR_TOKEN).toBeUndefined();
  });

  it('lets an override win over the environment', () => {
    expect(loadConfig({ TENURE_ROLE: 'api' }, { TENURE_ROLE: 'worker' }).TENURE_ROLE).toBe('worker');
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['TENURE_ROLE', 'foo'],
    ['NATS_URL', 'http://x'],
    ['OPERATOR_TOKEN', 'too-short'],
    ['TRUST_PROXY', 'maybe'],
    ['LOG_LEVEL', 'loud'],
  ])('refuses %s=%s with one line naming the variable', (variable, value) => {
    const message = rejection({ [variable]: value });
    expect(message).toMatch(new RegExp(`^Invalid configuration: ${variable} \\S`));
    expect(message).not.toContain('\n');
  });

  it('says what a bad value should be', () => {
    expect(rejection({ PORT: 'abc' })).toBe('Invalid configuration: PORT must be a number (got "abc")');
    expect(rejection({ TENURE_ROLE: 'foo' })).toBe('Invalid configuration: TENURE_ROLE must be one of all, api, worker (got "foo")');
    expect(rejection({ OPERATOR_TOKEN: 'short' })).toBe('Invalid configuration: OPERATOR_TOKEN must be at least 32');
  });

  it('never shows a secret in its message', () => {
    expect(rejection({ DATABASE_URL: 'mysql://tenure:hunter2@db/tenure' })).not.toContain('hunter2');
    expect(rejection({ OPERATOR_TOKEN: 'almost-a-token-but-short' })).not.toContain('almost-a-token');
  });

  it('names the first bad variable when several are bad', () => {
    expect(rejection({ PORT: 'abc', TENURE_ROLE: 'foo' })).toMatch(/^Invalid configuration: PORT /);
  });
});

describe('SIGNING_KEY_SECRETS', () => {
  const secret = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
  const developmentKey = developmentSigningKeySecrets.split(':')[1]!;

  it('reads id:base64 entries in order, the first one encrypting', () => {
    const [current, previous] = [secret('2026-07'), secret('2026-01')];
    const secrets = signingKeySecrets(loadConfig({ SIGNING_KEY_SECRETS: ` ${current} , ${previous} ` }));
    expect(secrets.map((entry) => entry.id)).toEqual(['2026-07', '2026-01']);
    expect(secrets[0]!.key).toEqual(Buffer.from(current.split(':')[1]!, 'base64'));
    expect(secrets.every((entry) => entry.key.length === 32)).toBe(true);
  });

  it('uses the documented development secret outside production', () => {
    expect(loadConfig({}).SIGNING_KEY_SECRETS).toBe(developmentSigningKeySecrets);
    expect(loadConfig({ NODE_ENV: 'test' }).SIGNING_KEY_SECRETS).toBe(developmentSigningKeySecrets);
  });

  it.each([
    ['no id', randomBytes(32).toString('base64')],
    ['a short key', `a:${randomBytes(16).toString('base64')}`],
    ['a long key', `a:${randomBytes(48).toString('base64')}`],
    ['a bad id', `a b:${randomBytes(32).toString('base64')}`],
    ['one id twice', `a:${randomBytes(32).toString('base64')},a:${randomBytes(32).toString('base64')}`],
    ['only commas', ','],
  ])('refuses %s in one line that never shows the value', (_label, value) => {
    const message = rejection({ SIGNING_KEY_SECRETS: value });
    expect(message).toMatch(/^Invalid configuration: SIGNING_KEY_SECRETS \S/);
    expect(message).not.toContain('\n');
    for (const part of value.split(/[,:]/).filter((part) => part.length > 8)) expect(message).not.toContain(part);
  });

  it('refuses to start in production without secrets of its own', () => {
    expect(rejection({ NODE_ENV: 'production' })).toBe('Invalid configuration: SIGNING_KEY_SECRETS is required when NODE_ENV=production');
    expect(rejection({ NODE_ENV: 'production', SIGNING_KEY_SECRETS: '' })).toMatch(/SIGNING_KEY_SECRETS is required/);
    for (const value of [developmentSigningKeySecrets, `${secret('current')},renamed:${developmentKey}`]) {
      const message = rejection({ NODE_ENV: 'production', SIGNING_KEY_SECRETS: value });
      expect(message).toBe('Invalid configuration: SIGNING_KEY_SECRETS must not use the development secret when NODE_ENV=production');
      expect(message).not.toContain(developmentKey);
    }
    const dataKeys = secret('data');
    expect(
      signingKeySecrets(
        loadConfig({ NODE_ENV: 'production', SIGNING_KEY_SECRETS: secret('production'), DATA_ENCRYPTION_KEYS: dataKeys }),
      )[0]!.id,
    ).toBe('production');
  });
});

describe('DATA_ENCRYPTION_KEYS', () => {
  const secret = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
  it('refuses production without keys of its own, and never echoes them', () => {
    const signing = secret('signing');
    expect(rejection({ NODE_ENV: 'production', SIGNING_KEY_SECRETS: signing })).toBe(
      'Invalid configuration: DATA_ENCRYPTION_KEYS is required when NODE_ENV=production',
    );
    const message = rejection({
      NODE_ENV: 'production',
      SIGNING_KEY_SECRETS: signing,
      DATA_ENCRYPTION_KEYS: developmentDataEncryptionKeys,
    });
    expect(message).toBe('Invalid configuration: DATA_ENCRYPTION_KEYS must not use the development key when NODE_ENV=production');
    expect(rejection({ DATA_ENCRYPTION_KEYS: 'k1:not-base64' })).toMatch(
      /^Invalid configuration: DATA_ENCRYPTION_KEYS must be a comma-separated list/,
    );
    expect(rejection({ DATA_ENCRYPTION_KEYS: 'k1:not-base64' })).not.toContain('not-base64');
    expect(dataEncryptionKeys(loadConfig({ DATA_ENCRYPTION_KEYS: secret('k2') }))[0]!.id).toBe('k2');
  });
});

describe('payment providers', () => {
  it('asks for the companions of Stripe and M-Pesa settings', () => {
    expect(rejection({ STRIPE_SECRET_KEY: 'sk_test_123' })).toBe(
      'Invalid configuration: STRIPE_WEBHOOK_SECRETS is required when STRIPE_SECRET_KEY is set',
    );
    expect(rejection({ MPESA_CONSUMER_KEY: 'key' })).toBe(
      'Invalid configuration: MPESA_CONSUMER_SECRET is required when MPESA_CONSUMER_KEY is set',
    );
    const config = loadConfig({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_WEBHOOK_SECRETS: 'whsec_one_0123456789, whsec_two_0123456789' });
    expect(config.STRIPE_WEBHOOK_SECRETS).toEqual(['whsec_one_0123456789', 'whsec_two_0123456789']);
    expect(loadConfig({}).SANDBOX_WEBHOOK_SECRETS).toEqual([developmentSandboxWebhookSecret]);
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://rent.example.com/' }).PUBLIC_BASE_URL).toBe('https://rent.example.com');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://tenure:s3cret@db:5432/tenure', 'postgres://tenure:***@db:5432/tenure'],
    ['postgresql://tenure:s3cret@db/tenure?sslmode=require', 'postgresql://tenure:***@db/tenure?sslmode=require'],
    ['postgres://tenure:p@ss:w0rd@db/tenure', 'postgres://tenure:***@db/tenure'],
    ['postgres://:s3cret@db/tenure', 'postgres://:***@db/tenure'],
    ['nats+tls://user:s3cret@nats:4222', 'nats+tls://user:***@nats:4222'],
  ])('hides the password of %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });

  it.each(['postgres://db:5432/tenure', 'postgres://tenure@db/tenure', 'postgres://db:5432/tenure?note=a@b', 'abc'])(
    'leaves %s, which holds no password, as it is',
    (value) => {
      expect(redactUrl(value)).toBe(value);
    },
  );
});

describe('the first platform admin settings', () => {
  it('take an e-mail address and a password, together', () => {
    const config = loadConfig({ PLATFORM_ADMIN_EMAIL: 'first@example.com', PLATFORM_ADMIN_PASSWORD: 'hunter2-is-no-passphrase' });
    expect(config).toMatchObject({ PLATFORM_ADMIN_EMAIL: 'first@example.com', PLATFORM_ADMIN_PASSWORD: 'hunter2-is-no-passphrase' });
    expect(rejection({ PLATFORM_ADMIN_EMAIL: 'nobody', PLATFORM_ADMIN_PASSWORD: 'hunter2-is-no-passphrase' })).toBe(
      'Invalid configuration: PLATFORM_ADMIN_EMAIL must be an e-mail address (got "nobody")',
    );
    expect(rejection({ PLATFORM_ADMIN_EMAIL: 'first@example.com' })).toBe(
      'Invalid configuration: PLATFORM_ADMIN_PASSWORD is required when PLATFORM_ADMIN_EMAIL is set',
    );
    // Alone, the password is for `npm run admin:create`, which names the e-mail itself.
    expect(loadConfig({ PLATFORM_ADMIN_PASSWORD: 'hunter2-is-no-passphrase' }).PLATFORM_ADMIN_EMAIL).toBeUndefined();
  });
});
