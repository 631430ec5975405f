import type { FastifyRequest } from 'fastify';
import type { Actor, EventContext } from '../events/envelope.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is acting; the identity module sets the user once it has verified the caller. */
    actor: Actor;
    tenantId: string | null;
  }
}

const clientAppPattern = /^[A-Za-z0-9._/-]{1,64}$/;

/**
 * The context of the events a request causes: its request id is their correlation id, so one id
 * ties the HTTP call, its log lines, its audit rows and everything its events set off.
 */
export function eventContextOf(request: FastifyRequest): EventContext {
  const clientApp = request.headers['x-client-app'];
  return {
    correlationId: request.id,
    causationId: null,
    actor: request.actor,
    tenantId: request.tenantId,
    clientApp: typeof clientApp === 'string' && clientAppPattern.test(clientApp) ? clientApp : null,
  };
}
