import type { FastifyRequest } from 'fastify';
import type { Tx } from '../db/database.ts';
import type { EventContext } from '../events/envelope.ts';
import { publish } from '../events/outbox.ts';
import { eventContextOf } from '../http/event-context.ts';
import { type AuditAction, recordAudit } from './audit-log.ts';
import { type AuditContext, auditContextOf } from './http.ts';

/**
 * Who calls a use case and from where: the context of the events it publishes and of the audit
 * entries it writes. Built from a request, or for the system (a job, an event subscriber).
 */
export interface Caller {
  /** The signed-in user, or null for the system. */
  userId: string | null;
  context: EventContext;
  audit: AuditContext;
}

export function callerOfRequest(request: FastifyRequest): Caller {
  return { userId: request.principal?.userId ?? null, context: eventContextOf(request), audit: auditContextOf(request) };
}

/** The system acting for an organization: a job, or a subscriber carrying on from an event (its causation). */
export function systemCaller(orgId: string, cause: { correlationId: string; causationId?: string | null }): Caller {
  const actor = { type: 'system' as const, id: null };
  return {
    userId: null,
    context: { correlationId: cause.correlationId, causationId: cause.causationId ?? null, actor, tenantId: orgId, clientApp: null },
    audit: {
      actor: { type: 'system', userId: null, role: null },
      orgId,
      ip: null,
      userAgent: null,
      correlationId: cause.correlationId,
    },
  };
}

export interface Change<Data extends Record<string, unknown>> {
  orgId: string;
  action: AuditAction;
  entityType: string;
  entityId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  /** The outbox event of the change, published in the same transaction. */
  event?: { type: string; source: string; data: Data; aggregate?: { type: string; id: string } };
}

/**
 * Records a change in the caller's transaction: its audit entry (before and after) and its event,
 * both for the organization the change happened in. Every use case that writes calls it.
 */
export async function recordChange<Data extends Record<string, unknown>>(tx: Tx, caller: Caller, change: Change<Data>): Promise<void> {
  const { orgId, event, action, entityType, entityId, before = null, after = null } = change;
  if (event) {
    const aggregate = event.aggregate ?? { type: entityType, id: entityId };
    await publish(tx, { ...caller.context, tenantId: orgId }, { type: event.type, source: event.source, aggregate, data: event.data });
  }
  await recordAudit(tx, { ...caller.audit, orgId, action, entityType, entityId, before, after });
}
