import { z } from 'zod';

/**
 * Every setting comes from the environment and is validated once, at start-up.
 * `.env.example` lists each variable with its default; keep the two in step.
 */
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const postgresUrl = z.url().refine((value) => /^postgres(ql)?:\/\//.test(value), 'must start with postgres:// or postgresql://');

/** Comma-separated exact origins such as `https://app.example.com,http://localhost:5173`. */
const originList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .refine(
    (origins) => origins.every(isOrigin),
    'must be a comma-separated list of exact origins such as https://app.example.com (scheme, host and port only)',
  );

function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/** A secret that encrypts the signing keys' private halves at rest: 32 bytes, named by an id. */
export interface SigningKeySecret {
  id: string;
  key: Buffer;
}

const secretIdPattern = /^[A-Za-z0-9._-]{1,64}$/;
const secretKeyPattern = /^[A-Za-z0-9+/]{43}=?$/;

/**
 * Reads `id:base64-of-32-bytes,…` (first entry encrypts, every entry decrypts), or says what is
 * wrong with it without repeating any of it.
 */
export function parseSigningKeySecrets(value: string): SigningKeySecret[] | { problem: string } {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const secrets: SigningKeySecret[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon);
    const encoded = entry.slice(colon + 1);
    if (colon === -1 || !secretIdPattern.test(id) || !secretKeyPattern.test(encoded)) {
      return { problem: 'must be a comma-separated list of id:base64-of-32-bytes (ids of letters, digits, ., _ and -)' };
    }
    if (secrets.some((secret) => secret.id === id)) return { problem: `names the secret id ${id} twice` };
    secrets.push({ id, key: Buffer.from(encoded, 'base64') });
  }
  if (secrets.length === 0) return { problem: 'must list at least one secret' };
  return secrets;
}

/** The secrets of a configuration that has passed `loadConfig`. */
export function signingKeySecrets(config: Pick<Config, 'SIGNING_KEY_SECRETS'>): SigningKeySecret[] {
  const secrets = parseSigningKeySecrets(config.SIGNING_KEY_SECRETS);
  if ('problem' in secrets) throw new ConfigError(`Invalid configuration: SIGNING_KEY_SECRETS ${secrets.problem}`);
  return secrets;
}

// Published in .env.example, so it protects nothing: production refuses it.
const developmentSigningKey = Buffer.from('tenure-dev-only-not-for-prod-use');
export const developmentSigningKeySecrets = `development:${developmentSigningKey.toString('base64')}`;

const signingKeySecretList = z.string().superRefine((value, context) => {
  const secrets = parseSigningKeySecrets(value);
  if ('problem' in secrets) context.addIssue({ code: 'custom', message: secrets.problem });
});

// Published in .env.example too, so production refuses it as well.
const developmentDataKey = Buffer.from('tenure-dev-data-key-not-for-prod');
export const developmentDataEncryptionKeys = `development:${developmentDataKey.toString('base64')}`;

export const developmentSandboxWebhookSecret = 'whsec_sandbox_development_only';

/** Comma-separated secrets, the first in use and the others still accepted (a rotation). */
const secretList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== ''),
  )
  .refine((secrets) => secrets.length > 0 && secrets.every((secret) => secret.length >= 16), 'must list secrets of at least 16 characters');

export const processRoles = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof processRoles)[number];

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(0, 65535).default(3000),
  TENURE_ROLE: z.enum(processRoles).default('all'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: booleanFlag.default(false),

  DATABASE_URL: postgresUrl.optional(),
  DATABASE_POOL_MAX: integer(1, 1000).default(10),
  EMBEDDED_POSTGRES_DIR: z.string().min(1).default('data/postgres'),
  // Unprivileged ports only: as root the embedded server runs as the postgres user.
  EMBEDDED_POSTGRES_PORT: integer(1024, 65535).default(54329),

  HTTP_BODY_LIMIT_BYTES: integer(1024, 100 * 1024 * 1024).default(1024 * 1024),
  RATE_LIMIT_MAX: integer(1, 1_000_000).default(600),
  RATE_LIMIT_WINDOW_SECONDS: integer(1, 86_400).default(60),
  SHUTDOWN_TIMEOUT_MS: integer(100, 120_000).default(10_000),

  IDEMPOTENCY_KEY_TTL_HOURS: integer(24, 24 * 90).default(24),
  // Break-glass bearer token for the operations endpoints under /v1/admin; platform admins use their own sign-in.
  OPERATOR_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),
  // The first admin of the platform organization, made at start-up while it has none; the password
  // must pass registration's rules.
  PLATFORM_ADMIN_EMAIL: z.email({ message: 'must be an e-mail address' }).optional(),
  PLATFORM_ADMIN_PASSWORD: z.string().optional(),
  // Encrypt the access-token signing keys' private halves: `id:base64-of-32-bytes,…`, the first encrypts.
  SIGNING_KEY_SECRETS: signingKeySecretList.default(developmentSigningKeySecrets),

  OUTBOX_POLL_INTERVAL_MS: integer(10, 60_000).default(1000),
  OUTBOX_MAX_ATTEMPTS: integer(1, 100).default(10),
  OUTBOX_RETRY_BASE_MS: integer(10, 3_600_000).default(1000),
  OUTBOX_RETENTION_DAYS: integer(1, 3650).default(7),
  OUTBOX_DISPATCH_CONCURRENCY: integer(1, 64).default(1),
  NATS_URL: z
    .string()
    .regex(/^(nats|tls):\/\/\S+$/, 'must look like nats://host:port')
    .optional(),
  NATS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'may hold only letters, digits, _ and -')
    .default('TENURE_EVENTS'),

  // Audit months whose partition ends this many days ago move to object storage (and stay readable).
  AUDIT_HOT_DAYS: integer(1, 36_500).default(90),
  // Root folder of the local object storage (archives, files) when no S3 store is configured.
  STORAGE_DIR: z.string().min(1).default('data/storage'),

  // Exact origins (scheme://host[:port]) allowed to call the API from a browser; empty: none.
  CORS_ALLOWED_ORIGINS: originList.default([]),
  // Rate limits shared by every instance when set; in memory per process otherwise.
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/\S+$/, 'must look like redis://host:port or rediss://host:port')
    .optional(),
  // Object storage: any S3-compatible store when S3_BUCKET is set, a local folder otherwise.
  S3_ENDPOINT: z
    .url()
    .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
    .optional(),
  S3_REGION: z
    .string()
    .regex(/^[a-z0-9-]+$/, 'must look like us-east-1')
    .default('us-east-1'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)')
    .optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),

  // How long a booking holds its unit while the guest pays online, and while a request awaits the
  // host's approval (or, once approved, the guest's payment).
  BOOKING_HOLD_MINUTES: integer(1, 24 * 60).default(15),
  BOOKING_REQUEST_HOLD_HOURS: integer(1, 24 * 30).default(24),

  // `auto`: the first start on an empty embedded database seeds a small demo (never a DATABASE_URL one).
  DEMO_DATA: z.enum(['auto', 'off']).default('auto'),

  // Where providers reach this server (M-Pesa callbacks): scheme, host and port, no path.
  PUBLIC_BASE_URL: z
    .url()
    .refine((value) => /^https?:\/\//.test(value), 'must start with http:// or https://')
    .transform((value) => value.replace(/\/+$/, ''))
    .default('http://localhost:3000'),
  // Encrypt personal data at rest (bank account numbers): `id:base64-of-32-bytes,…`, the first encrypts.
  DATA_ENCRYPTION_KEYS: signingKeySecretList.default(developmentDataEncryptionKeys),
  // The organization's commission on a booking, in basis points of what escrow releases to the owner.
  PAYMENTS_COMMISSION_BPS: integer(0, 10_000).default(1000),
  // A captured booking payment stays in escrow until this long after check-in.
  ESCROW_RELEASE_GRACE_HOURS: integer(0, 24 * 90).default(24),
  // The sandbox provider (the default) signs its webhooks with the first secret; its rail timings
  // (seconds) are multiplied by the scale.
  // In production the sandbox is off unless its secret is replaced: the default one is public.
  SANDBOX_WEBHOOK_SECRETS: secretList.default([developmentSandboxWebhookSecret]),
  SANDBOX_TIME_SCALE: z.coerce.number().min(0).max(1000).default(1),
  // Stripe for cards when set: the secret key, the webhook endpoint secrets (several while rotating)
  // and the API's address (a local fake in tests).
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_\S+$/, 'must look like sk_test_…')
    .optional(),
  STRIPE_WEBHOOK_SECRETS: secretList.optional(),
  STRIPE_API_URL: z.url().default('https://api.stripe.com'),
  // M-Pesa (Daraja) for mobile money when set: app credentials, the pay bill or till, its passkey,
  // and for payouts (B2C) the initiator and its encrypted credential.
  MPESA_API_URL: z.url().default('https://sandbox.safaricom.co.ke'),
  MPESA_CONSUMER_KEY: z.string().min(1).optional(),
  MPESA_CONSUMER_SECRET: z.string().min(1).optional(),
  MPESA_SHORTCODE: z
    .string()
    .regex(/^[0-9]{5,7}$/, 'must be a short code of 5 to 7 digits')
    .optional(),
  MPESA_PASSKEY: z.string().min(1).optional(),
  MPESA_TRANSACTION_TYPE: z.enum(['CustomerPayBillOnline', 'CustomerBuyGoodsOnline']).default('CustomerPayBillOnline'),
  // A secret path segment of the callback URLs: M-Pesa signs nothing, so a guessed URL is refused
  // before the status query that confirms every callback.
  MPESA_CALLBACK_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  MPESA_B2C_SHORTCODE: z
    .string()
    .regex(/^[0-9]{5,7}$/, 'must be a short code of 5 to 7 digits')
    .optional(),
  MPESA_B2C_INITIATOR_NAME: z.string().min(1).optional(),
  MPESA_B2C_SECURITY_CREDENTIAL: z.string().min(1).optional(),
});

/** Settings that only make sense together: the first one missing, named in one line. */
function missingCompanion(config: z.infer<typeof ConfigSchema>): string | undefined {
  if (config.PLATFORM_ADMIN_EMAIL !== undefined && config.PLATFORM_ADMIN_PASSWORD === undefined) {
    return 'PLATFORM_ADMIN_PASSWORD is required when PLATFORM_ADMIN_EMAIL is set';
  }
  if (config.STRIPE_SECRET_KEY !== undefined && config.STRIPE_WEBHOOK_SECRETS === undefined) {
    return 'STRIPE_WEBHOOK_SECRETS is required when STRIPE_SECRET_KEY is set';
  }
  if (config.MPESA_CONSUMER_KEY !== undefined) {
    for (const companion of ['MPESA_CONSUMER_SECRET', 'MPESA_SHORTCODE', 'MPESA_PASSKEY', 'MPESA_CALLBACK_TOKEN'] as const) {
      if (config[companion] === undefined) return `${companion} is required when MPESA_CONSUMER_KEY is set`;
    }
  }
  if (config.S3_BUCKET !== undefined) {
    if (config.S3_ACCESS_KEY_ID === undefined) return 'S3_ACCESS_KEY_ID is required when S3_BUCKET is set';
    if (config.S3_SECRET_ACCESS_KEY === undefined) return 'S3_SECRET_ACCESS_KEY is required when S3_BUCKET is set';
  }
  return undefined;
}

/** What production refuses to start with: secrets anybody can read in this repository, or none. */
function productionProblem(config: z.infer<typeof ConfigSchema>, input: Record<string, string>): string | undefined {
  if (config.NODE_ENV !== 'production') return undefined;
  if (input.SIGNING_KEY_SECRETS === undefined) return 'SIGNING_KEY_SECRETS is required when NODE_ENV=production';
  if (signingKeySecrets(config).some((secret) => secret.key.equals(developmentSigningKey))) {
    return 'SIGNING_KEY_SECRETS must not use the development secret when NODE_ENV=production';
  }
  if (input.DATA_ENCRYPTION_KEYS === undefined) return 'DATA_ENCRYPTION_KEYS is required when NODE_ENV=production';
  if (dataEncryptionKeys(config).some((secret) => secret.key.equals(developmentDataKey))) {
    return 'DATA_ENCRYPTION_KEYS must not use the development key when NODE_ENV=production';
  }
  return undefined;
}

/** The keys that encrypt personal data at rest: the first encrypts, every one decrypts. */
export function dataEncryptionKeys(config: Pick<Config, 'DATA_ENCRYPTION_KEYS'>): SigningKeySecret[] {
  const secrets = parseSigningKeySecrets(config.DATA_ENCRYPTION_KEYS);
  if ('problem' in secrets) throw new ConfigError(`Invalid configuration: DATA_ENCRYPTION_KEYS ${secrets.problem}`);
  return secrets;
}

export type Config = z.infer<typeof ConfigSchema>;

/** Never echoed in an error message, even when rejected. */
const secretVariables = new Set([
  'OPERATOR_TOKEN',
  'S3_SECRET_ACCESS_KEY',
  'SIGNING_KEY_SECRETS',
  'PLATFORM_ADMIN_PASSWORD',
  'DATA_ENCRYPTION_KEYS',
  'SANDBOX_WEBHOOK_SECRETS',
  'STRIPE_SECRET_KEY',
  'STRIPE_WEBHOOK_SECRETS',
  'MPESA_CONSUMER_SECRET',
  'MPESA_PASSKEY',
  'MPESA_CALLBACK_TOKEN',
  'MPESA_B2C_SECURITY_CREDENTIAL',
]);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the configuration; an empty string counts as unset, so `.env` templates can leave blanks. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Record<keyof Config, string>> = {}): Config {
  const input: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const value = overrides[key as keyof Config] ?? env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = ConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? 'configuration');
    const received = secretVariables.has(variable) ? undefined : input[variable];
    const shown = received === undefined ? '' : ` (got ${JSON.stringify(redactUrl(received))})`;
    throw new ConfigError(`Invalid configuration: ${variable} ${describeIssue(issue)}${shown}`);
  }
  const problem = missingCompanion(parsed.data) ?? productionProblem(parsed.data, input);
  if (problem) throw new ConfigError(`Invalid configuration: ${problem}`);
  return parsed.data;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is invalid';
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  if (issue.code === 'invalid_type') return `must be ${issue.expected === 'number' ? 'a number' : issue.expected}`;
  if (issue.code === 'invalid_format' && issue.format === 'url') return 'must be a URL';
  return issue.message.replace(/^Invalid input: /, 'is invalid: ');
}

/** Hides the password of a connection URL before it is shown anywhere. */
export function redactUrl(value: string): string {
  // The password runs to the last `@` before the path, so an unencoded `@` in it is hidden too.
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^/]*@/i, '$1***@');
}
