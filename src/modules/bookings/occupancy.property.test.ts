import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import type { Tx } from '../../platform/db/database.ts';
import { PlainDate } from '../../platform/dates.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import { type NightStatus, nightCounts, unitNightStatuses } from './availability.ts';
import {
  activeOccupancy,
  changeOccupancy,
  convertHold,
  extendHold,
  OccupancyConflict,
  type OccupancyKind,
  occupy,
  occupyFirstFree,
  releaseBookingOccupancy,
  releaseExpiredHolds,
  releaseOccupancy,
} from './occupancy.ts';

/**
 * Random sequences of what bookings do to occupancy — hold, book, cancel, let expire, change
 * nights, move to another unit, block and unblock — applied to the real table through
 * occupancy.ts, next to a small model of what should succeed. After every step: no two active
 * rows of a unit overlap (asked of the table itself), the table holds exactly the model's rows,
 * and the availability grid agrees night by night with the table's active rows.
 */

let database: TestDatabase;
const orgId = randomUUID();
const units = [randomUUID(), randomUUID(), randomUUID()];
const bookingPool = 24;
const bookingIds = Array.from({ length: bookingPool }, () => randomUUID());
const base = PlainDate.from('2030-03-02');
const gridDays = 16;
const day = (offset: number) => base.add({ days: offset }).toString();
const start = Date.UTC(2030, 0, 1, 12);
const minute = 60_000;

beforeAll(async () => {
  database = await createTestDatabase({ poolMax: 4 });
  // Holds and bookings refer to a booking row (foreign key): a pool of them, reused by every run.
  await transactionAsTenant(database.db, orgId, async (tx) => {
    for (const [index, id] of bookingIds.entries()) {
      await sql`
        INSERT INTO booking (id, org_id, reference, property_id, unit_type_id, unit_id, customer_id, rental_mode, status,
                             check_in, check_out, adults, guarantee, source, currency, total_amount, price_breakdown, cancellation_policy)
        VALUES (${id}, ${orgId}, ${String(index).padStart(8, '0')}, ${randomUUID()}, ${randomUUID()}, ${units[0]}, ${randomUUID()},
                'daily', 'pending', '2030-03-02', '2030-03-03', 1, 'pay_at_property', 'direct', 'EUR', 0, '{}', '{}')
      `.execute(tx);
    }
  });
});
afterAll(() => database.drop());
beforeEach(async () => {
  await sql`DELETE FROM occupancy`.execute(database.owner);
});

type Operation =
  | { op: 'hold'; unit: number; from: number; nights: number; expiresIn: number }
  | { op: 'holdAny'; order: number[]; from: number; nights: number; expiresIn: number }
  | { op: 'convert'; pick: number; kind: 'booking' | 'lease' }
  | { op: 'extend'; pick: number; expiresIn: number }
  | { op: 'cancel'; pick: number }
  | { op: 'tick'; minutes: number }
  | { op: 'expire'; minutes: number }
  | { op: 'changeNights'; pick: number; from: number; nights: number }
  | { op: 'move'; pick: number; unit: number }
  | { op: 'block'; unit: number; from: number; nights: number }
  | { op: 'unblock'; pick: number };

const unit = fc.nat(units.length - 1);
const from = fc.nat(9);
const nights = fc.integer({ min: 1, max: 6 });
// Minutes from the model's now; round numbers make a hold expire exactly at some later now.
const expiresIn = fc.oneof(fc.constantFrom(-10, 0, 10, 20, 30), fc.integer({ min: -20, max: 90 }));
const pick = fc.nat(50);
const minutes = fc.oneof(fc.constantFrom(10, 20, 30), fc.integer({ min: 1, max: 60 }));
const stay: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('hold' as const), unit, from, nights, expiresIn }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('block' as const), unit, from, nights }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), minutes }) },
);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('hold' as const), unit, from, nights, expiresIn }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('holdAny' as const),
      order: fc.shuffledSubarray([0, 1, 2], { minLength: 1 }),
      from,
      nights,
      expiresIn,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant('convert' as const), pick, kind: fc.constantFrom('booking' as const, 'lease' as const) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('extend' as const), pick, expiresIn }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick }) },
  // Time passes without the clean-up job: expired holds stay in the table until something needs their nights.
  { weight: 3, arbitrary: fc.record({ op: fc.constant('tick' as const), minutes }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('expire' as const), minutes }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('changeNights' as const), pick, from, nights }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('move' as const), pick, unit }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('block' as const), unit, from, nights }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unblock' as const), pick }) },
);

/** One active row as the model sees it: nights as day offsets, expiry in milliseconds. */
interface ModelRow {
  unit: string;
  from: number;
  to: number;
  kind: OccupancyKind;
  bookingId: string | null;
  blockId: string | null;
  expiresAt: number | null;
}

class Model {
  rows: ModelRow[] = [];
  now = start;
  bookingsUsed: string[] = [];
  blocks: string[] = [];

  blocksAt(row: ModelRow): boolean {
    return !(row.kind === 'hold' && row.expiresAt! <= this.now);
  }

  /** Whether [from, to) is free on the unit (the row `except` aside), and the expired holds in the way. */
  place(unitId: string, fromDay: number, toDay: number, except?: ModelRow): { free: boolean; expired: ModelRow[] } {
    const inTheWay = this.rows.filter((row) => row !== except && row.unit === unitId && row.from < toDay && fromDay < row.to);
    return { free: inTheWay.every((row) => !this.blocksAt(row)), expired: inTheWay };
  }

  release(rows: ModelRow[]): string[] {
    this.rows = this.rows.filter((row) => !rows.includes(row));
    return rows.map((row) => row.bookingId!);
  }

  ofBooking(bookingId: string): ModelRow | undefined {
    return this.rows.find((row) => row.bookingId === bookingId);
  }

  nextBooking(): string {
    const id = bookingIds[this.bookingsUsed.length]!;
    this.bookingsUsed.push(id);
    return id;
  }
}

/** Whether `work` was refused with OccupancyConflict (true) or succeeded (false). */
async function conflicted(work: () => Promise<unknown>): Promise<boolean> {
  try {
    await work();
    return false;
  } catch (error) {
    if (error instanceof OccupancyConflict) return true;
    throw error;
  }
}

const sorted = (ids: string[]) => [...ids].sort();

/** Applies one operation to the database and the model, checking they agree on its outcome. */
async function apply(tx: Tx, model: Model, step: Operation): Promise<void> {
  const now = () => new Date(model.now);
  switch (step.op) {
    case 'hold': {
      const unitId = units[step.unit]!;
      const bookingId = model.nextBooking();
      const expiresAt = model.now + step.expiresIn * minute;
      const placed = model.place(unitId, step.from, step.from + step.nights);
      let expired: string[] = [];
      const refused = await conflicted(async () => {
        const nightsOf = { from: day(step.from), to: day(step.from + step.nights) };
        ({ expiredBookingIds: expired } = await occupy(
          tx,
          { unitId, nights: nightsOf, kind: 'hold', bookingId, expiresAt: new Date(expiresAt) },
          now(),
        ));
      });
      expect(refused).toBe(!placed.free);
      if (placed.free) {
        expect(sorted(expired)).toEqual(sorted(model.release(placed.expired)));
        model.rows.push({ unit: unitId, from: step.from, to: step.from + step.nights, kind: 'hold', bookingId, blockId: null, expiresAt });
      }
      return;
    }
    case 'holdAny': {
      const order = step.order.map((index) => units[index]!);
      const bookingId = model.nextBooking();
      const expiresAt = model.now + step.expiresIn * minute;
      const chosen = order.find((unitId) => model.place(unitId, step.from, step.from + step.nights).free);
      let result: { unitId: string; expiredBookingIds: string[] } | undefined;
      const refused = await conflicted(async () => {
        const nightsOf = { from: day(step.from), to: day(step.from + step.nights) };
        result = await occupyFirstFree(tx, order, { nights: nightsOf, kind: 'hold', bookingId, expiresAt: new Date(expiresAt) }, now());
      });
      expect(refused).toBe(chosen === undefined);
      if (chosen !== undefined) {
        expect(result?.unitId).toBe(chosen);
        const placed = model.place(chosen, step.from, step.from + step.nights);
        expect(sorted(result?.expiredBookingIds ?? [])).toEqual(sorted(model.release(placed.expired)));
        model.rows.push({ unit: chosen, from: step.from, to: step.from + step.nights, kind: 'hold', bookingId, blockId: null, expiresAt });
      }
      return;
    }
    case 'convert': {
      if (model.bookingsUsed.length === 0) return;
      const bookingId = model.bookingsUsed[step.pick % model.bookingsUsed.length]!;
      const row = model.ofBooking(bookingId);
      expect(await conflicted(() => convertHold(tx, bookingId, step.kind))).toBe(row === undefined);
      if (row) Object.assign(row, { kind: step.kind, expiresAt: null });
      return;
    }
    case 'extend': {
      if (model.bookingsUsed.length === 0) return;
      const bookingId = model.bookingsUsed[step.pick % model.bookingsUsed.length]!;
      const row = model.ofBooking(bookingId);
      const expiresAt = model.now + step.expiresIn * minute;
      const holds = row?.kind === 'hold';
      expect(await conflicted(() => extendHold(tx, bookingId, new Date(expiresAt)))).toBe(!holds);
      if (holds) row.expiresAt = expiresAt;
      return;
    }
    case 'cancel': {
      if (model.bookingsUsed.length === 0) return;
      const bookingId = model.bookingsUsed[step.pick % model.bookingsUsed.length]!;
      await releaseBookingOccupancy(tx, bookingId);
      const row = model.ofBooking(bookingId);
      if (row) model.release([row]);
      return;
    }
    case 'tick': {
      model.now += step.minutes * minute;
      return;
    }
    case 'expire': {
      model.now += step.minutes * minute;
      const released = await releaseExpiredHolds(tx, now());
      const expired = model.rows.filter((row) => row.kind === 'hold' && row.expiresAt! <= model.now);
      expect(sorted(released)).toEqual(sorted(model.release(expired)));
      return;
    }
    case 'changeNights':
    case 'move': {
      if (model.bookingsUsed.length === 0) return;
      const bookingId = model.bookingsUsed[step.pick % model.bookingsUsed.length]!;
      const row = model.ofBooking(bookingId);
      const target =
        step.op === 'move'
          ? { unit: units[step.unit]!, from: row?.from ?? 0, to: row?.to ?? 1 }
          : { unit: row?.unit ?? units[0]!, from: step.from, to: step.from + step.nights };
      const placed = row && model.place(target.unit, target.from, target.to, row);
      let expired: string[] = [];
      const change = step.op === 'move' ? { unitId: target.unit } : { nights: { from: day(target.from), to: day(target.to) } };
      const refused = await conflicted(async () => {
        ({ expiredBookingIds: expired } = await changeOccupancy(tx, bookingId, change, now()));
      });
      expect(refused).toBe(!placed?.free);
      if (row && placed?.free) {
        expect(sorted(expired)).toEqual(sorted(model.release(placed.expired)));
        Object.assign(row, target);
      }
      return;
    }
    case 'block': {
      const unitId = units[step.unit]!;
      const placed = model.place(unitId, step.from, step.from + step.nights);
      let id = '';
      let expired: string[] = [];
      const refused = await conflicted(async () => {
        const nightsOf = { from: day(step.from), to: day(step.from + step.nights) };
        ({ id, expiredBookingIds: expired } = await occupy(
          tx,
          { unitId, nights: nightsOf, kind: 'block', blockReason: 'maintenance' },
          now(),
        ));
      });
      expect(refused).toBe(!placed.free);
      if (placed.free) {
        expect(sorted(expired)).toEqual(sorted(model.release(placed.expired)));
        model.rows.push({
          unit: unitId,
          from: step.from,
          to: step.from + step.nights,
          kind: 'block',
          bookingId: null,
          blockId: id,
          expiresAt: null,
        });
        model.blocks.push(id);
      }
      return;
    }
    case 'unblock': {
      if (model.blocks.length === 0) return;
      const blockId = model.blocks[step.pick % model.blocks.length]!;
      const row = model.rows.find((candidate) => candidate.blockId === blockId);
      expect(await releaseOccupancy(tx, blockId)).toBe(row !== undefined);
      if (row) model.release([row]);
      return;
    }
  }
}

/** (i) No two active rows of a unit overlap: asked of the table itself, as its owner, after the step committed. */
async function checkNoOverlap(): Promise<void> {
  const { rows } = await sql<{ count: number }>`
    SELECT count(*)::int AS count FROM occupancy a JOIN occupancy b ON a.unit_id = b.unit_id AND a.id < b.id AND a.nights && b.nights
    WHERE a.released_at IS NULL AND b.released_at IS NULL
  `.execute(database.owner);
  expect(rows[0]?.count).toBe(0);
}

/** (ii) and (iii), in the step's own transaction, which a refused step must have left usable. */
async function check(tx: Tx, model: Model, outOfService: string[]): Promise<void> {
  // (ii) The table holds exactly the model's active rows.
  const window = { from: day(0), to: day(gridDays) };
  const active = await activeOccupancy(tx, { unitIds: units, ...window });
  const line = (row: { unit: string; from: string; to: string; kind: string; bookingId: string | null; expiresAt: number | null }) =>
    `${row.unit} ${row.from}..${row.to} ${row.kind} ${row.bookingId ?? '-'} ${row.expiresAt ?? '-'}`;
  expect(
    active.map((row) => line({ ...row, unit: row.unitId, ...row.nights, expiresAt: row.expiresAt?.getTime() ?? null })).sort(),
  ).toEqual(model.rows.map((row) => line({ ...row, from: day(row.from), to: day(row.to) })).sort());

  // (iii) The grid agrees with the active rows on every night of every unit, and its counts with the grid.
  const now = new Date(model.now);
  const grid = await unitNightStatuses(tx, { unitIds: units, ...window, now, unavailableUnitIds: outOfService });
  const expected: string[] = [];
  for (const unitId of [...units].sort()) {
    for (let offset = 0; offset < gridDays; offset++) {
      const night = day(offset);
      const row = active.find((candidate) => candidate.unitId === unitId && candidate.nights.from <= night && night < candidate.nights.to);
      let status: NightStatus = 'available';
      if (outOfService.includes(unitId) || row?.kind === 'block') status = 'blocked';
      else if (row?.kind === 'booking' || row?.kind === 'lease') status = 'booked';
      else if (row?.kind === 'hold' && row.expiresAt!.getTime() > model.now) status = 'held';
      expected.push(`${unitId} ${night} ${status}`);
    }
  }
  expect(grid.map((cell) => `${cell.unitId} ${cell.night} ${cell.status}`)).toEqual(expected);

  const counts = await nightCounts(tx, { unitIds: units, ...window, now, unavailableUnitIds: outOfService });
  expect(counts).toHaveLength(gridDays);
  for (const [offset, count] of counts.entries()) {
    const night = day(offset);
    const cells = grid.filter((cell) => cell.night === night);
    const of = (status: NightStatus) => cells.filter((cell) => cell.status === status).length;
    expect(count).toEqual({
      night,
      total: units.length,
      available: of('available'),
      held: of('held'),
      booked: of('booked'),
      blocked: of('blocked'),
    });
  }
}

describe('occupancy (property)', () => {
  it('never lets two active rows of a unit overlap, agrees with a model on what succeeds, and the grid agrees with the rows', async () => {
    await fc.assert(
      fc.asyncProperty(
        // A few stays and blocks first (time passing between them), so that later steps meet occupied nights.
        fc.array(stay, { minLength: 2, maxLength: 8 }),
        fc.array(operation, { minLength: 1, maxLength: 14 }),
        fc.subarray(units, { maxLength: 1 }),
        async (setUp, operations, outOfService) => {
          const steps = [...setUp, ...operations];
          await sql`DELETE FROM occupancy`.execute(database.owner);
          const model = new Model();
          for (const step of steps) {
            await transactionAsTenant(database.db, orgId, async (tx) => {
              await apply(tx, model, step);
              await check(tx, model, outOfService);
            });
            await checkNoOverlap();
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 180_000);
});
