import { z } from 'zod';
import type { ErrorDefinition } from './errors.ts';
import { platformErrors } from './errors.ts';
import type { App } from './server.ts';

const ProblemType = z.object({ code: z.string(), status: z.number().int(), title: z.string() });

/** Problem `type` URIs resolve here, so every code a client meets is described by the API itself. */
export function registerProblemRoutes(app: App, declared: () => (ErrorDefinition & { code: string })[]): void {
  app.get(
    '/problems',
    { schema: { tags: ['operations'], summary: 'Every error code the API can answer with', response: { 200: z.array(ProblemType) } } },
    async () => declared(),
  );
  app.get(
    '/problems/:code',
    { schema: { tags: ['operations'], summary: 'One error code', params: z.object({ code: z.string() }), response: { 200: ProblemType } } },
    async (request) => {
      const found = declared().find((definition) => definition.code === request.params.code);
      if (!found) throw platformErrors.raise('not_found', `No error code ${request.params.code}`);
      return found;
    },
  );
}
