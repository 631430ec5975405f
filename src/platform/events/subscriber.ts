import type { Tx } from '../db/database.ts';
import type { EventEnvelope } from './envelope.ts';

/**
 * A subscriber handles events in its own transaction; the relay records the event id in the inbox
 * in that same transaction, so a redelivered event has no second effect.
 */
export interface EventSubscriber {
  /** Stable and unique, such as `ledger.post-payment`: deliveries and the inbox are keyed by it. */
  name: string;
  /** Exact event types, or `*` for every event. */
  eventTypes: readonly string[];
  handle(tx: Tx, event: EventEnvelope): Promise<void>;
}

export function subscribesTo(subscriber: EventSubscriber, type: string): boolean {
  return subscriber.eventTypes.includes('*') || subscriber.eventTypes.includes(type);
}
