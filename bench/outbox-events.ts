import { randomUUID } from 'node:crypto';
import type { EventContext, NewEvent } from '../src/platform/events/envelope.ts';

/** The event the outbox scenario publishes, and the relay worker's subscriber handles. */
export const benchEventType = 'bench.thing_recorded';

/** One aggregate per event, so ordering never holds one event back behind another. */
export function benchEvent(index: number): NewEvent<{ index: number }> {
  return { type: benchEventType, aggregate: { type: 'bench_thing', id: String(index) }, source: 'bench', data: { index } };
}

export function benchEventContext(): EventContext {
  return { correlationId: randomUUID(), causationId: null, actor: { type: 'system', id: null }, tenantId: null, clientApp: null };
}
