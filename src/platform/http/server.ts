import { randomUUID } from 'node:crypto';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyRequest, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Actor } from '../events/envelope.ts';
import { type AuthenticationOptions, callerScopeOf, registerAuthentication } from './authentication.ts';
import './event-context.ts';
import { platformErrors } from './errors.ts';
import { documentProblems } from './problem-schema.ts';
import { registerProblemHandling } from './problems.ts';
import { closeRedis, connectRateLimitRedis } from './rate-limit-redis.ts';
import { registerRequestTransactions } from './request-transaction.ts';
import { registerSecurity } from './security.ts';
import { requireStrictBodies } from './strict-bodies.ts';

export type App = Awaited<ReturnType<typeof createHttpServer>>;

const requestIdPattern = /^[A-Za-z0-9._:-]{1,128}$/;

export interface HttpServerOptions {
  config: Pick<
    Config,
    | 'HTTP_BODY_LIMIT_BYTES'
    | 'RATE_LIMIT_MAX'
    | 'RATE_LIMIT_WINDOW_SECONDS'
    | 'TRUST_PROXY'
    | 'IDEMPOTENCY_KEY_TTL_HOURS'
    | 'CORS_ALLOWED_ORIGINS'
    | 'REDIS_URL'
  >;
  db: Database;
  logger: FastifyBaseLogger;
  /** Scopes idempotency keys and rate limits to the caller: by default the signed-in user, else the address. */
  callerScope?: (request: FastifyRequest) => string;
  /** Bearer access tokens, verified before rate limits and routes see the caller (the identity module's). */
  authentication?: AuthenticationOptions;
}

/**
 * The HTTP conventions every route shares: request ids, problem details for every error, Zod
 * schemas for validation and OpenAPI, strict bodies, rate limits, and idempotent POSTs whose
 * stored response commits with their effect.
 */
export async function createHttpServer(options: HttpServerOptions) {
  const { config } = options;
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    trustProxy: config.TRUST_PROXY,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && requestIdPattern.test(incoming) ? incoming : randomUUID();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<ZodTypeProvider>();

  // A request in flight when the server starts to close is answered on a connection that then
  // closes; left keep-alive, that connection would hold close() open until the client hangs up.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Before the problem handling indexes routes, and before authentication: see security.ts.
  await registerSecurity(app, config);
  registerProblemHandling(app);
  requireStrictBodies(app);
  documentProblems(app);

  app.decorateRequest('actor', null as unknown as Actor);
  app.decorateRequest('tenantId', null);
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    request.actor = { type: 'anonymous', id: null };
    request.principal = null;
  });
  if (options.authentication) registerAuthentication(app, options.authentication);

  const callerScope = options.callerScope ?? callerScopeOf;
  const redis = config.REDIS_URL ? await connectRateLimitRedis(config.REDIS_URL, app.log) : undefined;
  if (redis) app.addHook('onClose', async () => closeRedis(redis));
  await app.register(fastifyRateLimit, {
    global: true,
    // With Redis every instance counts against one shared limit per caller.
    ...(redis ? { redis, nameSpace: 'tenure:rate-limit:' } : {}),
    // Availability over strictness: while Redis is unreachable, requests are served unlimited
    // (each one fails fast, as the client neither queues nor retries) rather than all refused.
    // A rate limit protects capacity; refusing every caller would be the outage it guards against.
    skipOnError: true,
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
    keyGenerator: callerScope,
    errorResponseBuilder: (_request, context) =>
      platformErrors.raise(
        'rate_limited',
        `At most ${context.max} requests in ${context.after}; retry after the time given in Retry-After`,
      ),
  });

  registerRequestTransactions(app, { db: options.db, idempotencyTtlHours: config.IDEMPOTENCY_KEY_TTL_HOURS, callerScope });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tenure API',
        version: '1',
        description:
          'Rentals of every length and the money that moves through them. Errors are RFC 9457 problem details with a stable `code`; every POST accepts an `Idempotency-Key`.',
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());

  return app;
}
