import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifySchemaValidationError } from 'fastify/types/schema.js';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { AppError, type FieldError, platformErrors, toProblem } from './errors.ts';
import { replay, StoredReplay } from './idempotency.ts';
import { indexRoutes } from './route-index.ts';

export const problemContentType = 'application/problem+json; charset=utf-8';

/** Fastify's own error codes, each turned into one of ours. */
const frameworkErrors: Record<string, (error: FastifyError) => AppError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: (error) => platformErrors.raise('malformed_json', error.message),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => platformErrors.raise('malformed_json', 'The body is empty but the content type says it is JSON'),
  FST_ERR_CTP_BODY_TOO_LARGE: () => platformErrors.raise('body_too_large'),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (error) => platformErrors.raise('unsupported_media_type', `${error.message}; send application/json`),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => platformErrors.raise('malformed', 'Content-Length does not match the body'),
  FST_ERR_CTP_INVALID_TYPE: () => platformErrors.raise('unsupported_media_type'),
  FST_ERR_CTP_EMPTY_TYPE: () => platformErrors.raise('unsupported_media_type', 'The content type is empty; send application/json'),
};

/** Every error leaves as problem details; a 5xx never reveals what went wrong inside. */
export function toAppError(error: unknown, request: FastifyRequest): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fastifyError)) {
    const part = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.flatMap((issue) => toFieldErrors(part, issue));
    const summary = errors.map((field) => `${field.path}: ${field.message}`).join('; ');
    return platformErrors.raise('validation_failed', summary, { errors });
  }
  if (isResponseSerializationError(fastifyError)) {
    request.log.error({ err: error }, 'response does not match its schema');
    return platformErrors.raise('internal_error', internalDetail(request));
  }
  const mapped = fastifyError.code ? frameworkErrors[fastifyError.code] : undefined;
  if (mapped) return mapped(fastifyError);
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) return platformErrors.raise('malformed_json', error.message);
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return platformErrors.raise('malformed', fastifyError.message);
  }
  request.log.error({ err: error }, 'unexpected error');
  return platformErrors.raise('internal_error', internalDetail(request));
}

function internalDetail(request: FastifyRequest): string {
  return `The request could not be completed. Quote request id ${request.id} when you report it.`;
}

function toFieldErrors(part: string, entry: FastifySchemaValidationError): FieldError[] {
  const base = [part, ...entry.instancePath.split('/').filter(Boolean)].join('.');
  const { keys } = entry.params;
  if (entry.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
    return keys.map((key) => ({ path: `${base}.${String(key)}`, message: 'Unknown field', code: 'unknown_field' }));
  }
  return [{ path: base, message: entry.message ?? 'Invalid value', code: entry.keyword }];
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  for (const [name, value] of Object.entries(error.extra.headers ?? {})) reply.header(name, value);
  return reply
    .code(error.status)
    .type(problemContentType)
    .send(toProblem(error, request.url, request.id));
}

export function registerProblemHandling(app: FastifyInstance): void {
  const allowedMethods = indexRoutes(app);
  app.setErrorHandler((error, request, reply) => {
    if (error instanceof StoredReplay) return replay(reply, error.response);
    const appError = toAppError(error, request);
    if (appError.status >= 500) reply.header('cache-control', 'no-store');
    return sendProblem(reply, request, appError);
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const methods = allowedMethods(path);
    if (methods.length > 0) {
      const error = platformErrors.raise('method_not_allowed', `${request.method} is not allowed on ${path}; use ${methods.join(', ')}`, {
        headers: { allow: methods.join(', ') },
      });
      return sendProblem(reply, request, error);
    }
    return sendProblem(reply, request, platformErrors.raise('not_found', `No route matches ${request.method} ${path}`));
  });
}
