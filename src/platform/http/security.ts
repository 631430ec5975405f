import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

/** Response headers a browser client may read on a cross-origin response. */
export const corsExposedHeaders = ['x-request-id', 'link', 'x-total-count', 'idempotent-replayed', 'retry-after', 'allow'];

/** Request headers a browser client may send cross-origin. */
export const corsAllowedHeaders = ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'x-client-app'];

/**
 * Security headers and CORS for a JSON API.
 *
 * Helmet's policy is the strictest an API can carry: a response is data, never a document, so its
 * CSP allows nothing (`default-src 'none'`) and no page may frame it. The Swagger UI at `/docs`
 * serves its own assets from this server and replaces that CSP on its own routes with one that
 * lets its local scripts and styles run (`staticCSP` in server.ts).
 *
 * CORS answers only the exact origins in `CORS_ALLOWED_ORIGINS`; any other origin (or none) gets
 * no CORS header at all, so the browser keeps the response from the calling page. Preflights are
 * answered in `onRequest`, before rate limits and before any route or authentication runs.
 *
 * Register this before the problem handling indexes routes: @fastify/cors adds an `OPTIONS *`
 * route, and were it indexed, every path would seem to have a route and an unknown one would be
 * answered `405` instead of `404`.
 */
export async function registerSecurity(app: FastifyInstance, config: Pick<Config, 'CORS_ALLOWED_ORIGINS'>): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: { maxAge: 365 * 24 * 60 * 60, includeSubDomains: true },
  });

  const allowed = new Set(config.CORS_ALLOWED_ORIGINS);
  await app.register(fastifyCors, {
    // A function, not the list itself: with a list, @fastify/cors still sends the credentials and
    // exposed-headers headers to an origin it refuses.
    origin: (origin, callback) => {
      callback(null, origin !== undefined && allowed.has(origin));
    },
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: corsAllowedHeaders,
    exposedHeaders: corsExposedHeaders,
    maxAge: 600,
  });
}
