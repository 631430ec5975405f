import type { FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Database, Queryable } from '../db/database.ts';
import { defineErrors } from '../http/errors.ts';
import { offsetOf, PageQuery, pageOf, sendPage } from '../http/pagination.ts';
import type { App } from '../http/server.ts';
import { EventEnvelope } from './envelope.ts';
import { redriveNotification } from './listener.ts';
import { outboxChannel } from './outbox.ts';

export const eventAdminErrors = defineErrors('events', {
  parked_delivery_not_found: { status: 404, title: 'No parked delivery matches' },
});

const ParkedDelivery = z.object({
  subscriber: z.string(),
  eventId: z.uuid(),
  type: z.string(),
  aggregate: z.object({ type: z.string(), id: z.string() }),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  parkedAt: z.iso.datetime(),
  envelope: EventEnvelope,
});

const ParkedFilter = z.strictObject({
  subscriber: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
});
type ParkedFilter = z.infer<typeof ParkedFilter>;

const DeliveryParams = z.object({ subscriber: z.string().min(1), eventId: z.uuid() });
const Redriven = z.object({ redriven: z.number().int() });

/** Who may list parked deliveries, and who may re-drive them: one check per operation. */
export interface EventAdminAccess {
  read: (request: FastifyRequest) => Promise<void>;
  redrive: (request: FastifyRequest) => Promise<void>;
}

/**
 * Operations on deliveries that failed too often: list them, and re-drive them (back to pending
 * with a fresh count of attempts) once their cause is fixed; the running relay then handles them.
 */
export function registerEventAdminRoutes(app: App, options: { db: Database; access: EventAdminAccess }): void {
  const { db, access } = options;
  // On `onRequest`, before the body is read and before the idempotency hook could replay anything.
  const reading = { onRequest: access.read } as const;
  const redriving = { onRequest: access.redrive } as const;
  const operations = { tags: ['operations'] };

  app.get(
    '/v1/admin/events/parked',
    {
      ...reading,
      schema: {
        ...operations,
        summary: 'Deliveries parked after too many failed attempts',
        querystring: PageQuery.extend(ParkedFilter.shape),
        response: { 200: pageOf(ParkedDelivery) },
      },
    },
    async (request, reply) => {
      const { limit, offset } = offsetOf(request.query);
      const rows = await parkedDeliveries(db, request.query)
        .select([
          'd.subscriber',
          'd.eventId',
          'o.type',
          'o.aggregateType',
          'o.aggregateId',
          'd.attempts',
          'd.lastError',
          'd.parkedAt',
          'o.envelope',
        ])
        .orderBy('d.parkedAt')
        .orderBy('d.eventSeq')
        .orderBy('d.subscriber')
        .limit(limit)
        .offset(offset)
        .execute();
      const { total } = await parkedDeliveries(db, request.query)
        .select((eb) => eb.fn.countAll<number>().as('total'))
        .executeTakeFirstOrThrow();
      const data = rows.map((row) => ({
        subscriber: row.subscriber,
        eventId: row.eventId,
        type: row.type,
        aggregate: { type: row.aggregateType, id: row.aggregateId },
        attempts: row.attempts,
        lastError: row.lastError,
        parkedAt: (row.parkedAt ?? new Date(0)).toISOString(),
        envelope: row.envelope as unknown as EventEnvelope,
      }));
      return sendPage(request, reply, request.query, data, total);
    },
  );

  app.post(
    '/v1/admin/events/parked/:subscriber/:eventId/redrive',
    {
      ...redriving,
      schema: {
        ...operations,
        summary: 'Re-drive one parked delivery',
        params: DeliveryParams,
        response: { 200: Redriven },
      },
    },
    async (request) => {
      const { subscriber, eventId } = request.params;
      const redriven = await redrive(db, { subscriber, eventId });
      if (redriven === 0) {
        throw eventAdminErrors.raise('parked_delivery_not_found', `No parked delivery of event ${eventId} to ${subscriber}`);
      }
      return { redriven };
    },
  );

  app.post(
    '/v1/admin/events/parked/redrive',
    {
      ...redriving,
      schema: {
        ...operations,
        summary: 'Re-drive every parked delivery that matches the filter (all of them for an empty body)',
        body: ParkedFilter,
        response: { 200: Redriven },
      },
    },
    async (request) => ({ redriven: await redrive(db, request.body) }),
  );
}

function parkedDeliveries(db: Queryable, filter: ParkedFilter) {
  let query = db.selectFrom('eventDelivery as d').innerJoin('outboxEvent as o', 'o.id', 'd.eventId').where('d.status', '=', 'parked');
  if (filter.subscriber !== undefined) query = query.where('d.subscriber', '=', filter.subscriber);
  if (filter.type !== undefined) query = query.where('o.type', '=', filter.type);
  return query;
}

/** Puts matching parked deliveries back to pending and wakes the dispatchers when that commits. */
async function redrive(db: Database, filter: ParkedFilter & { eventId?: string }): Promise<number> {
  return db.transaction().execute(async (tx) => {
    let update = tx
      .updateTable('eventDelivery')
      .set({ status: 'pending', attempts: 0, nextAttemptAt: sql<Date>`now()`, parkedAt: null })
      .where('status', '=', 'parked');
    if (filter.subscriber !== undefined) update = update.where('subscriber', '=', filter.subscriber);
    if (filter.eventId !== undefined) update = update.where('eventId', '=', filter.eventId);
    if (filter.type !== undefined) {
      const { type } = filter;
      update = update.where('eventId', 'in', (eb) => eb.selectFrom('outboxEvent').select('id').where('type', '=', type));
    }
    const result = await update.executeTakeFirst();
    const redriven = Number(result.numUpdatedRows);
    if (redriven > 0) await sql`SELECT pg_notify(${outboxChannel}, ${redriveNotification})`.execute(tx);
    return redriven;
  });
}
