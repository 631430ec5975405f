import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../src/platform/db/database.ts';
import type { TenureModule } from '../src/platform/module.ts';

/**
 * The smallest write a business module makes: one row in one request transaction. Its table lives
 * only in the bench's scratch database, created by `createBenchThingTable`, never by a migration.
 */
export const CreateBenchThingBody = z.strictObject({ name: z.string() });
const BenchThingCreated = z.object({ id: z.number().int() });

export async function createBenchThingTable(db: Database): Promise<void> {
  await sql`CREATE TABLE bench_thing (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
  )`.execute(db);
}

export const benchModule: TenureModule = {
  name: 'bench',
  routes(app) {
    app.post('/bench/things', { schema: { body: CreateBenchThingBody, response: { 201: BenchThingCreated } } }, async (request, reply) => {
      const { rows } = await request.transaction((tx) =>
        sql<{ id: number }>`INSERT INTO bench_thing (name) VALUES (${request.body.name}) RETURNING id`.execute(tx),
      );
      const [thing] = rows;
      if (!thing) throw new Error('INSERT … RETURNING returned no row');
      return reply.code(201).send({ id: thing.id });
    });
  },
};
