import pino, { type LoggerOptions } from 'pino';
import type { Config } from './config.ts';

/**
 * Paths that never reach a log line: credentials, tokens, and personal data that a request or an
 * event may carry. Wildcards cover one level of nesting, which is where our payloads keep them.
 */
const sensitiveFields = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'refreshToken',
  'secret',
  'clientSecret',
  'apiKey',
  'authorization',
  'cookie',
  'email',
  'phone',
  'phoneNumber',
  'accountNumber',
  'routingNumber',
  'iban',
  'cardNumber',
  'cvc',
  'identityNumber',
  'nationalId',
  'passportNumber',
  'dateOfBirth',
];

export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'databaseUrl',
  ...sensitiveFields.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

export function loggerOptions(config: Pick<Config, 'LOG_LEVEL'>): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    redact: { paths: redactPaths, censor: '[redacted]' },
    base: { service: 'tenure' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
}

export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, destination?: pino.DestinationStream): pino.Logger {
  return destination ? pino(loggerOptions(config), destination) : pino(loggerOptions(config));
}
