import { z } from 'zod';
import { uuidv7 } from '../ids.ts';

/** The standard event envelope every event travels in. */
export const Actor = z.object({
  type: z.enum(['user', 'system', 'service', 'anonymous']),
  id: z.string().nullable(),
});
export type Actor = z.infer<typeof Actor>;

export const EventEnvelope = z.object({
  id: z.uuid(),
  /** `<aggregate>.<past tense>`, such as `booking.confirmed`. */
  type: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/),
  version: z.string().regex(/^\d+\.\d+$/),
  timestamp: z.iso.datetime(),
  tenantId: z.string().nullable(),
  correlationId: z.string(),
  causationId: z.string().nullable(),
  actor: Actor,
  aggregate: z.object({ type: z.string(), id: z.string() }),
  data: z.record(z.string(), z.unknown()),
  metadata: z.object({ source: z.string(), clientApp: z.string().nullable() }),
});
export type EventEnvelope<Data extends Record<string, unknown> = Record<string, unknown>> = Omit<z.infer<typeof EventEnvelope>, 'data'> & {
  data: Data;
};

/** Who caused the work and why: carried from a request or a handled event into the events it publishes. */
export interface EventContext {
  correlationId: string;
  causationId: string | null;
  actor: Actor;
  tenantId: string | null;
  clientApp: string | null;
}

export interface NewEvent<Data extends Record<string, unknown>> {
  type: string;
  version?: string;
  aggregate: { type: string; id: string };
  /** The module that publishes the event. */
  source: string;
  data: Data;
}

export function buildEnvelope<Data extends Record<string, unknown>>(
  event: NewEvent<Data>,
  context: EventContext,
  now = new Date(),
): EventEnvelope<Data> {
  return {
    id: uuidv7(now.getTime()),
    type: event.type,
    version: event.version ?? '1.0',
    timestamp: now.toISOString(),
    tenantId: context.tenantId,
    correlationId: context.correlationId,
    causationId: context.causationId,
    actor: context.actor,
    aggregate: event.aggregate,
    data: event.data,
    metadata: { source: event.source, clientApp: context.clientApp },
  };
}

/** The context of work caused by an event: same correlation, caused by that event, same tenant. */
export function contextCausedBy(event: EventEnvelope, actor: Actor = { type: 'system', id: null }): EventContext {
  return {
    correlationId: event.correlationId,
    causationId: event.id,
    actor,
    tenantId: event.tenantId,
    clientApp: event.metadata.clientApp,
  };
}
