import type { FastifyInstance } from 'fastify';
import type { HTTPMethod } from 'find-my-way';
import findMyWay from 'find-my-way';

/**
 * Fastify answers a known path with an unknown method as "not found"; this index of the app's
 * routes lets the not-found handler answer `405` with an `Allow` header instead.
 */
export function indexRoutes(app: FastifyInstance): (path: string) => string[] {
  const router = findMyWay();
  const methods = new Set<string>();
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method).map((name) => name.toUpperCase() as HTTPMethod)) {
      if (method === 'HEAD' || router.hasRoute(method, route.url)) continue;
      methods.add(method);
      router.on(method, route.url, () => undefined);
    }
  });
  return (path) => [...methods].filter((method) => router.find(method as HTTPMethod, path) !== null).sort();
}
