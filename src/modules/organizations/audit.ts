import type { FastifyRequest } from 'fastify';
import type { AuditAction } from '../../platform/audit/audit-log.ts';
import { recordChange as recordPlatformChange } from '../../platform/audit/change.ts';
import { type AuditContext, auditContextOf } from '../../platform/audit/http.ts';
import type { Tx } from '../../platform/db/database.ts';
import type { EventContext } from '../../platform/events/envelope.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';

/** Who calls a use case and from where: the context of its events and audit entries. */
export interface Caller {
  userId: string;
  sessionId: string;
  context: EventContext;
  audit: AuditContext;
}

export function callerOf(request: FastifyRequest): Caller {
  const principal = request.principal;
  if (!principal) throw new Error('callerOf() on a route without requireUser');
  return { userId: principal.userId, sessionId: principal.sessionId, context: eventContextOf(request), audit: auditContextOf(request) };
}

/**
 * Records what the caller did in an organization: the audit entry and the event carry that
 * organization (whatever the caller's token acts in) and the role the caller holds there.
 */
export async function recordChange(
  tx: Tx,
  caller: Pick<Caller, 'context' | 'audit'>,
  change: {
    organizationId: string;
    role: string | null;
    action: AuditAction;
    entityType: 'organization' | 'membership' | 'invitation' | 'session';
    entityId: string;
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
    event?: { type: string; aggregate: { type: string; id: string }; data: Record<string, unknown> };
  },
): Promise<void> {
  const { organizationId, role, event, ...entry } = change;
  const actingAs = { userId: null, context: caller.context, audit: { ...caller.audit, actor: { ...caller.audit.actor, role } } };
  await recordPlatformChange(tx, actingAs, {
    ...entry,
    orgId: organizationId,
    ...(event ? { event: { ...event, source: 'organizations' } } : {}),
  });
}
