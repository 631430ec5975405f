import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { registerAuditRoutes } from './platform/audit/routes.ts';
import type { Config } from './platform/config.ts';
import type { Database } from './platform/db/database.ts';
import { registerEventAdminRoutes } from './platform/events/admin-routes.ts';
import { declaredErrors } from './platform/http/errors.ts';
import { databaseCheck, type ReadinessCheck, registerOperationsRoutes } from './platform/http/health.ts';
import { registerProblemRoutes } from './platform/http/problem-routes.ts';
import { isOperatorToken, operatorGuard } from './platform/http/operator-guard.ts';
import { createHttpServer } from './platform/http/server.ts';
import type { Jobs } from './platform/jobs/jobs.ts';
import { observeHttp, type Metrics } from './platform/metrics.ts';
import type { TenureModule } from './platform/module.ts';
import { createObjectStorage, type ObjectStorage } from './platform/storage/index.ts';

export interface AppOptions {
  config: Config;
  db: Database;
  logger: Logger;
  metrics: Metrics;
  jobs: Pick<Jobs, 'send'>;
  modules: TenureModule[];
  /** Checks beyond the database's, such as the workers' when this process runs them. */
  readinessChecks?: ReadinessCheck[];
  callerScope?: (request: FastifyRequest) => string;
  /** Where archives and files live; a local folder at STORAGE_DIR unless given. */
  storage?: ObjectStorage;
}

/** Builds the HTTP application: the platform's conventions, then every module's routes. */
export async function buildApp(options: AppOptions) {
  const { config, db } = options;
  // Bearer access tokens make a request the user's, verified by the module that issues them; the
  // operator token is a different credential, left to the operations endpoints' own guard.
  const issuer = options.modules.find((module) => module.accessTokenVerifier);
  const authentication = issuer?.accessTokenVerifier
    ? { verifyAccessToken: issuer.accessTokenVerifier(db), ignore: (token: string) => isOperatorToken(config.OPERATOR_TOKEN, token) }
    : undefined;
  const app = await createHttpServer({ config, db, logger: options.logger, callerScope: options.callerScope, authentication });
  observeHttp(app, options.metrics);
  registerOperationsRoutes(app, { checks: [databaseCheck(db), ...(options.readinessChecks ?? [])], metrics: options.metrics });
  registerProblemRoutes(app, declaredErrors);
  registerEventAdminRoutes(app, { db, guard: operatorGuard(config.OPERATOR_TOKEN) });
  // Until staff roles exist, the audit log is read with the operator token, unscoped.
  registerAuditRoutes(app, {
    db,
    storage: options.storage ?? createObjectStorage(config),
    guard: operatorGuard(config.OPERATOR_TOKEN),
  });
  for (const module of options.modules) {
    await app.register(async (scope) => module.routes?.(scope.withTypeProvider<ZodTypeProvider>(), { config, db, jobs: options.jobs }));
  }
  return app;
}
