import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/**
 * Unknown fields in a body are refused, never silently dropped: a route whose body schema is an
 * object that allows unknown keys (`z.object` rather than `z.strictObject`) fails at start-up.
 */
export function requireStrictBodies(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const body = route.schema?.body;
    if (body instanceof z.ZodObject && !isStrict(body)) {
      throw new Error(`Route ${String(route.method)} ${route.url}: its body schema must be z.strictObject so unknown fields are refused`);
    }
  });
}

function isStrict(schema: z.ZodObject): boolean {
  const catchall = schema._zod.def.catchall;
  return catchall !== undefined && catchall._zod.def.type === 'never';
}
