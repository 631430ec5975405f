import type { FastifyInstance } from 'fastify';
import { z } from 'zod';

/** RFC 9457 problem details as this API sends them. */
export const Problem = z
  .object({
    type: z.string().describe('`/problems/{code}`: served by this API, describing the code'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable, machine-readable: branch on this, not on the text'),
    instance: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string(), code: z.string() })).optional(),
  })
  .meta({ id: 'Problem' });

/** Documents problem details as every route's 4XX and 5XX answer, unless the route says otherwise. */
export function documentProblems(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema || route.schema.hide) return;
    const response = (route.schema.response ?? {}) as Record<string, unknown>;
    route.schema.response = { '4XX': Problem, '5XX': Problem, ...response };
  });
}
