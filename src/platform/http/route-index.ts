import type { FastifyInstance } from 'fastify';
import type { HTTPMethod } from 'find-my-way';
import findMyWay from 'find-my-way';

export interface RouteEntry {
  method: string;
  url: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app as registered (method and URL pattern), for sweeps over the API. */
    routeTable: RouteEntry[];
  }
}

/**
 * Fastify answers a known path with an unknown method as "not found"; this index of the app's
 * routes lets the not-found handler answer `405` with an `Allow` header instead. It also keeps
 * the app's route table.
 */
export function indexRoutes(app: FastifyInstance): (path: string) => string[] {
  const router = findMyWay();
  const methods = new Set<string>();
  const table: RouteEntry[] = [];
  app.decorate('routeTable', table);
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method).map((name) => name.toUpperCase() as HTTPMethod)) {
      if (method === 'HEAD' || router.hasRoute(method, route.url)) continue;
      methods.add(method);
      table.push({ method, url: route.url });
      router.on(method, route.url, () => undefined);
    }
  });
  return (path) => [...methods].filter((method) => router.find(method as HTTPMethod, path) !== null).sort();
}
