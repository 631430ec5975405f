import type { Database } from '../db/database.ts';
import type { App } from '../http/server.ts';

export function registerEventAdminRoutes(app: App, options: { db: Database }): void {
  void app;
  void options;
}
