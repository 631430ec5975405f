import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import '../http/event-context.ts';
import type { AuditEntryInput } from './audit-log.ts';

/** Who acts and from where: the part of an audit entry a request supplies. */
export type AuditContext = Pick<AuditEntryInput, 'actor' | 'orgId' | 'ip' | 'userAgent' | 'correlationId'>;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit context of a request: its actor (`request.actor`, which the identity module enriches
 * with a `role`), its organization (`request.tenantId`), the caller's IP and user agent, and the
 * request id as correlation id — the same id as in its log lines and events.
 */
export function auditContextOf(request: FastifyRequest): AuditContext {
  const actor = request.actor as FastifyRequest['actor'] & { role?: string | null };
  const userId = actor.type === 'user' && actor.id !== null && uuidPattern.test(actor.id) ? actor.id : null;
  const tenantId = request.tenantId;
  const userAgent = request.headers['user-agent'];
  return {
    actor: { type: actor.type, userId, role: typeof actor.role === 'string' && actor.role !== '' ? actor.role : null },
    orgId: tenantId !== null && uuidPattern.test(tenantId) ? tenantId : null,
    ip: isIP(request.ip) === 0 ? null : request.ip,
    userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 1000) : null,
    correlationId: request.id,
  };
}
