import type { FastifyRequest } from 'fastify';
import type { Tx } from '../../platform/db/database.ts';
import { type AuditAction, recordAudit } from '../../platform/audit/audit-log.ts';
import { type AuditContext, auditContextOf } from '../../platform/audit/http.ts';
import type { EventContext } from '../../platform/events/envelope.ts';
import { eventContextOf } from '../../platform/http/event-context.ts';

/** Who calls a use case and from where: the context of its events and of its audit entries. */
export interface Caller {
  context: EventContext;
  audit: AuditContext;
}

export function callerOf(request: FastifyRequest): Caller {
  return { context: eventContextOf(request), audit: auditContextOf(request) };
}

/** The same caller acting as the user who has just proved who they are (sign-in, refresh). */
export function asUser(caller: Caller, userId: string): Caller {
  return {
    context: { ...caller.context, actor: { type: 'user', id: userId } },
    audit: { ...caller.audit, actor: { type: 'user', userId, role: null } },
  };
}

export async function recordIdentityAudit(
  tx: Tx,
  caller: Caller,
  entry: {
    action: AuditAction;
    entityType: 'user' | 'session';
    entityId: string;
    before?: Record<string, unknown>;
    after?: Record<string, unknown>;
  },
): Promise<void> {
  await recordAudit(tx, { ...caller.audit, ...entry });
}
