import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactUrl } from './config.ts';

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
