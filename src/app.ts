import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { type AuditRouteOptions, registerAuditRoutes } from './platform/audit/routes.ts';
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
  // The module that keeps memberships supplies the caller's current role in the token's organization.
  const issuer = options.modules.find((module) => module.accessTokenVerifier);
  const memberships = options.modules.find((module) => module.memberships)?.memberships;
  const authentication = issuer?.accessTokenVerifier
    ? {
        verifyAccessToken: issuer.accessTokenVerifier(db),
        ignore: (token: string) => isOperatorToken(config.OPERATOR_TOKEN, token),
        ...(memberships ? { currentRole: (member: { userId: string; orgId: string }) => memberships.roleOf(db, member) } : {}),
      }
    : undefined;
  const app = await createHttpServer({ config, db, logger: options.logger, callerScope: options.callerScope, authentication });
  observeHttp(app, options.metrics);
  registerOperationsRoutes(app, { checks: [databaseCheck(db), ...(options.readinessChecks ?? [])], metrics: options.metrics });
  registerProblemRoutes(app, declaredErrors);
  // Parked events: the operator token (break-glass), or a signed-in user the memberships module
  // lets operate the platform.
  const operations = memberships?.operationsAccess;
  registerEventAdminRoutes(app, {
    db,
    access: {
      read: operatorOrUser(config.OPERATOR_TOKEN, operations?.read),
      redrive: operatorOrUser(config.OPERATOR_TOKEN, operations?.redrive),
    },
  });
  // Operators read the audit log with the operator token, unscoped; signed-in users as the
  // memberships module allows (audit_logs:read, scoped to their organization).
  registerAuditRoutes(app, {
    db,
    storage: options.storage ?? createObjectStorage(config),
    ...auditAccess(config.OPERATOR_TOKEN, memberships?.auditAccess),
  });
  for (const module of options.modules) {
    await app.register(async (scope) =>
      module.routes?.(scope.withTypeProvider<ZodTypeProvider>(), { config, db, jobs: options.jobs, memberships }),
    );
  }
  return app;
}

type Guard = (request: FastifyRequest) => Promise<void>;

/**
 * A signed-in caller is checked by `users`; anyone else must present the operator token. With no
 * operator token configured, an anonymous caller is asked to sign in rather than told the
 * endpoint is closed, since users may still be let in.
 */
function operatorOrUser(operatorToken: string | undefined, users: Guard | undefined): Guard {
  const operator = operatorGuard(operatorToken);
  if (!users) return operator;
  return (request) => (request.principal || operatorToken === undefined ? users(request) : operator(request));
}

/** The operator token reads every organization's entries; a signed-in user what `users` allows. */
function auditAccess(operatorToken: string | undefined, users: AuditRouteOptions | undefined): AuditRouteOptions {
  if (!users) return { guard: operatorGuard(operatorToken) };
  return {
    guard: operatorOrUser(operatorToken, users.guard),
    orgScope: (request) => (request.principal ? (users.orgScope?.(request) ?? null) : null),
  };
}
