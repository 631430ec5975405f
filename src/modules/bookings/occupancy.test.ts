import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import type { Tx } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import {
  activeOccupancy,
  changeOccupancy,
  convertHold,
  OccupancyConflict,
  occupancyOfBooking,
  occupy,
  occupyFirstFree,
  releaseExpiredHolds,
} from './occupancy.ts';

/** The occupancy table through occupancy.ts: the cases the property test meets only by chance. */

let database: TestDatabase;
const orgId = randomUUID();
const [unitA, unitB] = [randomUUID(), randomUUID()];
const now = new Date('2030-01-01T12:00:00Z');
const minutes = (count: number) => new Date(now.getTime() + count * 60_000);
const nights = (from: string, to: string) => ({ from: `2030-03-${from}`, to: `2030-03-${to}` });

const inTenant = <T>(work: (tx: Tx) => Promise<T>) => transactionAsTenant(database.db, orgId, work);

/** A booking row for holds and bookings to refer to. */
async function newBooking(): Promise<string> {
  const id = randomUUID();
  await inTenant(async (tx) => {
    await sql`
      INSERT INTO booking (id, org_id, reference, property_id, unit_type_id, unit_id, customer_id, rental_mode, status,
                           check_in, check_out, adults, guarantee, source, currency, total_amount, price_breakdown, cancellation_policy)
      VALUES (${id}, ${orgId}, ${id.slice(0, 8).toUpperCase()}, ${randomUUID()}, ${randomUUID()}, ${unitA},
              ${randomUUID()}, 'daily', 'pending', '2030-03-02', '2030-03-03', 1, 'pay_at_property', 'direct', 'EUR', 0, '{}', '{}')
    `.execute(tx);
  });
  return id;
}

async function hold(unitId: string, from: string, to: string, expiresAt: Date): Promise<string> {
  const bookingId = await newBooking();
  await inTenant((tx) => occupy(tx, { unitId, nights: nights(from, to), kind: 'hold', bookingId, expiresAt }, now));
  return bookingId;
}

const active = () => inTenant((tx) => activeOccupancy(tx, { unitIds: [unitA, unitB], from: '2030-01-01', to: '2031-01-01' }));

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 24 });
});
afterAll(() => database.drop());
beforeEach(async () => {
  await sql`DELETE FROM occupancy`.execute(database.owner);
});

describe('occupy', () => {
  it('refuses overlapping nights on the unit, and accepts back-to-back stays and other units', async () => {
    await hold(unitA, '10', '13', minutes(30));
    await expect(hold(unitA, '12', '14', minutes(30))).rejects.toBeInstanceOf(OccupancyConflict);
    await hold(unitA, '13', '15', minutes(30));
    await hold(unitA, '08', '10', minutes(30));
    await hold(unitB, '10', '13', minutes(30));
    expect((await active()).map((row) => `${row.unitId === unitA ? 'A' : 'B'} ${row.nights.from}`).sort()).toEqual([
      'A 2030-03-08',
      'A 2030-03-10',
      'A 2030-03-13',
      'B 2030-03-10',
    ]);
  });

  it('releases an expired hold in the way, before any clean-up job, and names its booking', async () => {
    const lapsed = await hold(unitA, '10', '13', minutes(-1));
    const bookingId = await newBooking();
    const { expiredBookingIds } = await inTenant((tx) =>
      occupy(tx, { unitId: unitA, nights: nights('12', '14'), kind: 'booking', bookingId }, now),
    );
    expect(expiredBookingIds).toEqual([lapsed]);
    expect(await inTenant((tx) => occupancyOfBooking(tx, lapsed))).toBeUndefined();
    expect(await inTenant((tx) => occupancyOfBooking(tx, bookingId))).toMatchObject({ kind: 'booking', nights: nights('12', '14') });
  });

  it('a refused occupation releases nothing and leaves the transaction usable', async () => {
    const lapsed = await hold(unitA, '10', '12', minutes(-1));
    await hold(unitA, '12', '14', minutes(30));
    const outcome = await inTenant(async (tx) => {
      const refused = await occupy(tx, { unitId: unitA, nights: nights('11', '13'), kind: 'block', blockReason: 'owner_use' }, now).catch(
        (error: unknown) => error,
      );
      // The same transaction goes on, and the expired hold it would have released is still there.
      return { refused, lapsedRow: await occupancyOfBooking(tx, lapsed) };
    });
    expect(outcome.refused).toBeInstanceOf(OccupancyConflict);
    expect(outcome.lapsedRow).toMatchObject({ kind: 'hold', nights: nights('10', '12') });
  });

  it('a hold expires exactly at its expiry: from then on it blocks nobody', async () => {
    await hold(unitA, '10', '12', minutes(5));
    await expect(
      inTenant((tx) => occupy(tx, { unitId: unitA, nights: nights('10', '11'), kind: 'block', blockReason: 'maintenance' }, minutes(4))),
    ).rejects.toBeInstanceOf(OccupancyConflict);
    await inTenant((tx) =>
      occupy(tx, { unitId: unitA, nights: nights('10', '11'), kind: 'block', blockReason: 'maintenance' }, minutes(5)),
    );
  });

  it('occupyFirstFree takes the first free unit in the order given, and refuses when none is', async () => {
    await hold(unitA, '10', '12', minutes(30));
    const bookingId = await newBooking();
    const taken = await inTenant((tx) =>
      occupyFirstFree(tx, [unitA, unitB], { nights: nights('11', '12'), kind: 'booking', bookingId }, now),
    );
    expect(taken.unitId).toBe(unitB);
    const another = await newBooking();
    await expect(
      inTenant((tx) => occupyFirstFree(tx, [unitA, unitB], { nights: nights('11', '12'), kind: 'booking', bookingId: another }, now)),
    ).rejects.toBeInstanceOf(OccupancyConflict);
    await expect(
      inTenant((tx) => occupyFirstFree(tx, [], { nights: nights('11', '12'), kind: 'booking', bookingId: another }, now)),
    ).rejects.toBeInstanceOf(OccupancyConflict);
  });

  it('refuses nights that are empty or not dates before asking the database', async () => {
    const bookingId = await newBooking();
    await expect(inTenant((tx) => occupy(tx, { unitId: unitA, nights: nights('12', '12'), kind: 'booking', bookingId }))).rejects.toThrow(
      RangeError,
    );
    await expect(
      inTenant((tx) => occupy(tx, { unitId: unitA, nights: { from: '2030-02-30', to: '2030-03-02' }, kind: 'booking', bookingId })),
    ).rejects.toThrow(RangeError);
  });
});

describe('changes', () => {
  it('changeOccupancy moves a booking to other nights or another unit, keeps the old nights on record, and refuses taken nights', async () => {
    const bookingId = await newBooking();
    await inTenant((tx) => occupy(tx, { unitId: unitA, nights: nights('10', '12'), kind: 'booking', bookingId }, now));
    await hold(unitA, '14', '16', minutes(30));
    // Overlapping its own nights is no conflict.
    await inTenant((tx) => changeOccupancy(tx, bookingId, { nights: nights('11', '14') }, now));
    await expect(inTenant((tx) => changeOccupancy(tx, bookingId, { nights: nights('11', '15') }, now))).rejects.toBeInstanceOf(
      OccupancyConflict,
    );
    expect(await inTenant((tx) => occupancyOfBooking(tx, bookingId))).toMatchObject({ unitId: unitA, nights: nights('11', '14') });
    await inTenant((tx) => changeOccupancy(tx, bookingId, { unitId: unitB, nights: nights('14', '16') }, now));
    expect(await inTenant((tx) => occupancyOfBooking(tx, bookingId))).toMatchObject({ unitId: unitB, nights: nights('14', '16') });
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM occupancy WHERE booking_id = ${bookingId}`.execute(
      database.owner,
    );
    expect(rows[0]?.count).toBe(3);
  });

  it('convertHold makes a hold firm; a hold already released cannot be converted', async () => {
    const kept = await hold(unitA, '10', '12', minutes(30));
    await inTenant((tx) => convertHold(tx, kept, 'booking'));
    expect(await inTenant((tx) => occupancyOfBooking(tx, kept))).toMatchObject({ kind: 'booking', expiresAt: null });
    const lapsed = await hold(unitB, '10', '12', minutes(-5));
    expect(await inTenant((tx) => releaseExpiredHolds(tx, now))).toEqual([lapsed]);
    await expect(inTenant((tx) => convertHold(tx, lapsed, 'booking'))).rejects.toBeInstanceOf(OccupancyConflict);
  });
});

describe('concurrency', () => {
  it('of transactions racing for the same nights, exactly one wins; the others get OccupancyConflict', async () => {
    const bookingIds = await Promise.all(Array.from({ length: 5 }, () => newBooking()));
    const outcomes = await Promise.allSettled(
      bookingIds.map((bookingId) =>
        inTenant(async (tx) => {
          const taken = await occupy(tx, { unitId: unitA, nights: nights('20', '23'), kind: 'booking', bookingId }, now);
          // Hold the row a moment, so that the others really wait on it.
          await sql`SELECT pg_sleep(0.05)`.execute(tx);
          return taken;
        }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    for (const outcome of outcomes.filter((candidate) => candidate.status === 'rejected')) {
      expect(outcome.reason).toBeInstanceOf(OccupancyConflict);
    }
    expect(await active()).toHaveLength(1);
  });

  it('of transactions racing for overlapping, different nights, none fails on a deadlock: each wins or meets a winner', async () => {
    const ranges = Array.from({ length: 60 }, (_, index) => ({ from: 1 + ((index * 7) % 24), nights: 1 + (index % 5) }));
    const bookingIds = await Promise.all(ranges.map(() => newBooking()));
    const day = (offset: number) => `2030-04-${String(offset).padStart(2, '0')}`;
    const outcomes = await Promise.allSettled(
      ranges.map((range, index) =>
        inTenant(async (tx) => {
          const nightsOf = { from: day(range.from), to: day(range.from + range.nights) };
          await occupy(tx, { unitId: unitB, nights: nightsOf, kind: 'booking', bookingId: bookingIds[index]! }, now);
          await sql`SELECT pg_sleep(0.02)`.execute(tx);
        }),
      ),
    );
    const overlaps = (a: (typeof ranges)[number], b: (typeof ranges)[number]) => a.from < b.from + b.nights && b.from < a.from + a.nights;
    const won = ranges.filter((_, index) => outcomes[index]!.status === 'fulfilled');
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') continue;
      expect(outcome.reason).toBeInstanceOf(OccupancyConflict);
      expect(won.some((winner) => overlaps(winner, ranges[index]!))).toBe(true);
    }
    for (const [index, winner] of won.entries()) expect(won.slice(index + 1).some((other) => overlaps(winner, other))).toBe(false);
  });

  it('a refused occupation holds nothing back: another transaction writes the unit while the first goes on', async () => {
    await hold(unitA, '10', '12', minutes(30));
    const other = await newBooking();
    let second: Promise<unknown> | undefined;
    const outcome = await inTenant(async (tx) => {
      const refused = await occupy(tx, { unitId: unitA, nights: nights('11', '12'), kind: 'block', blockReason: 'owner_use' }, now).catch(
        (error: unknown) => error,
      );
      // While this transaction is still open, another one occupies other nights of the same unit.
      second = inTenant((otherTx) =>
        occupy(otherTx, { unitId: unitA, nights: nights('20', '22'), kind: 'booking', bookingId: other }, now),
      );
      const finished = await Promise.race([second.then(() => 'finished'), new Promise((resolve) => setTimeout(resolve, 3_000, 'waiting'))]);
      return { refused, finished };
    });
    await second;
    expect(outcome).toEqual({ refused: expect.any(OccupancyConflict) as unknown, finished: 'finished' });
  });

  it('two bookings racing for the nights of one expired hold: one releases it and wins, the other is refused', async () => {
    const lapsed = await hold(unitA, '20', '23', minutes(-1));
    const bookingIds = await Promise.all([newBooking(), newBooking()]);
    const outcomes = await Promise.allSettled(
      bookingIds.map((bookingId) =>
        inTenant(async (tx) => {
          const taken = await occupy(tx, { unitId: unitA, nights: nights('21', '22'), kind: 'booking', bookingId }, now);
          await sql`SELECT pg_sleep(0.05)`.execute(tx);
          return taken;
        }),
      ),
    );
    const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(won[0]?.value.expiredBookingIds).toEqual([lapsed]);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')?.reason).toBeInstanceOf(OccupancyConflict);
  });
});
