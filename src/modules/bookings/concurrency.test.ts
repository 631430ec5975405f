import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { activeOccupancyOf, createStay, day, expectStatus, type Host, hostedBookingsApp, http, walkIn } from './test-support.ts';

/**
 * Many requests for one unit at the same moment, over HTTP: PostgreSQL's exclusion constraint
 * decides, so exactly the bookings that fit succeed and every other one answers 409.
 */
let t: TestApp;
let host: Host;
let customerId: string;

beforeAll(async () => {
  // Requests waiting on one another's rows each hold a connection: a pool of 50 keeps the queue short.
  ({ t, host } = await hostedBookingsApp('busy', {}, { poolMax: 50 }));
  customerId = expectStatus<{ id: string }>(await http(t).post('/v1/customers', host.admin, walkIn()), 201).id;
});
afterAll(() => t.close());

function bookUnit(unitTypeId: string, unitId: string, checkIn: string, checkOut: string) {
  return http(t).post('/v1/bookings', host.admin, { rentalMode: 'daily', unitTypeId, unitId, checkIn, checkOut, customerId });
}

describe('simultaneous bookings of one unit', () => {
  it('200 requests for the same nights: exactly one 201, every other 409 booking.dates_unavailable', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const replies = await Promise.all(Array.from({ length: 200 }, () => bookUnit(stay.unitTypeId, stay.unitIds[0]!, day(10), day(13))));
    const statuses = replies.map((reply) => reply.statusCode);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(199);
    for (const reply of replies.filter((candidate) => candidate.statusCode === 409)) {
      expect(reply.json<{ code: string }>().code).toBe('booking.dates_unavailable');
    }
    const winner = replies.find((reply) => reply.statusCode === 201)!.json<{ id: string }>();
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([
      { unitId: stay.unitIds[0], bookingId: winner.id, kind: 'booking', from: day(10), to: day(13) },
    ]);
    // The losers left nothing behind: one booking, one occupancy.
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM booking WHERE unit_id = ${stay.unitIds[0]}`.execute(
      t.database.owner,
    );
    expect(rows[0]?.count).toBe(1);
  });

  it('overlapping but different ranges: the winners never overlap, and every loser overlaps a winner', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const ranges = fc.sample(fc.record({ start: fc.integer({ min: 1, max: 40 }), nights: fc.integer({ min: 1, max: 6 }) }), {
      numRuns: 120,
      seed: 20_260_704,
    });
    const replies = await Promise.all(
      ranges.map(({ start, nights }) => bookUnit(stay.unitTypeId, stay.unitIds[0]!, day(start), day(start + nights))),
    );
    const won = ranges.filter((_, index) => replies[index]!.statusCode === 201);
    const lost = ranges.filter((_, index) => replies[index]!.statusCode !== 201);
    for (const [index, reply] of replies.entries()) {
      if (reply.statusCode !== 201)
        expect(reply.json(), JSON.stringify(ranges[index])).toMatchObject({ status: 409, code: 'booking.dates_unavailable' });
    }
    const overlaps = (a: { start: number; nights: number }, b: { start: number; nights: number }) =>
      a.start < b.start + b.nights && b.start < a.start + a.nights;
    for (const loser of lost)
      expect(
        won.some((winner) => overlaps(loser, winner)),
        JSON.stringify(loser),
      ).toBe(true);

    // On the database: the active rows are exactly the winners', and no two overlap.
    const active = await activeOccupancyOf(t, stay.unitIds);
    expect(active).toHaveLength(won.length);
    const { rows } = await sql<{ count: number }>`
      SELECT count(*)::int AS count FROM occupancy a JOIN occupancy b
        ON a.unit_id = b.unit_id AND a.id < b.id AND a.nights && b.nights
      WHERE a.unit_id = ${stay.unitIds[0]} AND a.released_at IS NULL AND b.released_at IS NULL
    `.execute(t.database.owner);
    expect(rows[0]?.count).toBe(0);
    expect(active.map((row) => `${row.from}/${row.to}`).sort()).toEqual(
      won.map(({ start, nights }) => `${day(start)}/${day(start + nights)}`).sort(),
    );
  });

  it('simultaneous bookings of a unit type fill its units, one booking per unit', async () => {
    const stay = await createStay(t, host, { units: 5 });
    const replies = await Promise.all(
      Array.from({ length: 40 }, () =>
        http(t).post('/v1/bookings', host.admin, {
          rentalMode: 'daily',
          unitTypeId: stay.unitTypeId,
          checkIn: day(20),
          checkOut: day(22),
          customerId,
        }),
      ),
    );
    expect(replies.filter((reply) => reply.statusCode === 201)).toHaveLength(5);
    expect(replies.filter((reply) => reply.statusCode === 409)).toHaveLength(35);
    const active = await activeOccupancyOf(t, stay.unitIds);
    expect(active.map((row) => row.unitId).sort()).toEqual([...stay.unitIds].sort());
  });
});
