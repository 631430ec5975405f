import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import type { App } from '../http/server.ts';

export function registerEventAdminRoutes(app: App, options: { db: Database; guard: (request: FastifyRequest) => Promise<void> }): void {
  void app;
  void options;
}
