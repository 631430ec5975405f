import { sql } from 'kysely';
import type { Tx } from '../db/database.ts';
import { buildEnvelope, type EventContext, type EventEnvelope, type NewEvent } from './envelope.ts';

/** The channel on which a committed outbox row wakes the relay. */
export const outboxChannel = 'tenure_outbox';

/**
 * Records an event in the caller's transaction. Nothing leaves before commit: the relay sees the row
 * only once it is committed, and PostgreSQL delivers the NOTIFY only then too.
 */
export async function publish<Data extends Record<string, unknown>>(
  tx: Tx,
  context: EventContext,
  event: NewEvent<Data>,
): Promise<EventEnvelope<Data>> {
  const envelope = buildEnvelope(event, context);
  // Publishers of one aggregate take turns until commit, so the outbox order of an aggregate's
  // events is the order in which its changes committed, whatever the use case locked.
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`${event.aggregate.type}:${event.aggregate.id}`}, 1))`.execute(tx);
  await tx
    .insertInto('outboxEvent')
    .values({
      id: envelope.id,
      type: envelope.type,
      aggregateType: envelope.aggregate.type,
      aggregateId: envelope.aggregate.id,
      tenantId: envelope.tenantId,
      envelope: JSON.stringify(envelope),
    })
    .execute();
  await sql`SELECT pg_notify(${outboxChannel}, '')`.execute(tx);
  return envelope;
}
