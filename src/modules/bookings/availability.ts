import { sql } from 'kysely';
import { type Caller, recordChange } from '../../platform/audit/change.ts';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { nightsBetween, parseDate, type PlainDate, todayIn } from '../../platform/dates.ts';
import { offsetOf } from '../../platform/http/pagination.ts';
import { propertyFacts, propertyIdsOwnedBy, type UnitFacts, unitFacts, unitsOfType, type UnitTypeFacts } from '../inventory/index.ts';
import type { ListingTerms } from '../listings/index.ts';
import type { Access } from '../organizations/index.ts';
import { type RateNight, rateNights } from '../pricing/index.ts';
import { availabilityErrors } from './availability-errors.ts';
import { expireBookings } from './lifecycle.ts';
import {
  type BlockReason,
  type BlockRow,
  blockById,
  blocksOfUnit,
  type Nights,
  OccupancyConflict,
  occupy,
  releaseOccupancy,
} from './occupancy.ts';

/**
 * The availability grid, computed by PostgreSQL from the occupancy table: every night of the range
 * for every unit, joined to the active row covering it. A night is `blocked` under a block (or when
 * the unit is out of order or out of service), `booked` under a booking or lease, `held` when its
 * only occupation is a hold that has not expired, and `available` otherwise — an expired hold
 * counts as available, whether or not the clean-up job has released it yet.
 */

export type NightStatus = 'available' | 'held' | 'booked' | 'blocked';
export const nightStatuses = ['available', 'held', 'booked', 'blocked'] as const satisfies readonly NightStatus[];

export interface GridQuery {
  unitIds: string[];
  /** The nights [from, to). */
  from: string;
  to: string;
  /** Holds expired at this moment count as available. */
  now: Date;
  /** Units out of order or out of service: blocked on every night, whatever their occupancy. */
  unavailableUnitIds?: string[];
}

export interface UnitNight {
  unitId: string;
  night: string;
  status: NightStatus;
}

export interface NightCounts {
  night: string;
  total: number;
  available: number;
  held: number;
  booked: number;
  blocked: number;
}

/**
 * The nights of [from, to) each unit is taken, and by what: the active rows overlapping the range,
 * expanded into their nights, holds expired at `now` left out. The exclusion constraint leaves at
 * most one active row per unit and night.
 */
function takenSql(query: GridQuery, unitIds: string[]) {
  return sql`
    SELECT o.unit_id, d.night::date AS night, o.kind
    FROM occupancy o
    CROSS JOIN LATERAL generate_series(
      greatest(lower(o.nights), ${query.from}::date), least(upper(o.nights), ${query.to}::date) - 1, interval '1 day'
    ) AS d (night)
    WHERE o.unit_id = ANY(${unitIds}::uuid[]) AND o.released_at IS NULL
      AND o.nights && daterange(${query.from}::date, ${query.to}::date, '[)')
      AND NOT (o.kind = 'hold' AND o.expires_at <= ${query.now})
  `;
}

/** Each unit's status on each night of [from, to), by unit then night: every cell joined on (unit, night) to what takes it. */
export async function unitNightStatuses(db: Queryable, query: GridQuery): Promise<UnitNight[]> {
  const unitIds = [...new Set(query.unitIds)];
  if (unitIds.length === 0) return [];
  const { rows } = await sql<UnitNight>`
    WITH taken AS (${takenSql(query, unitIds)})
    SELECT u.unit_id, n.night::date AS night,
      CASE
        WHEN u.unit_id = ANY(${query.unavailableUnitIds ?? []}::uuid[]) THEN 'blocked'
        WHEN t.kind = 'block' THEN 'blocked'
        WHEN t.kind IN ('booking', 'lease') THEN 'booked'
        WHEN t.kind = 'hold' THEN 'held'
        ELSE 'available'
      END AS status
    FROM unnest(${unitIds}::uuid[]) AS u (unit_id)
    CROSS JOIN generate_series(${query.from}::date, ${query.to}::date - 1, interval '1 day') AS n (night)
    LEFT JOIN taken t ON t.unit_id = u.unit_id AND t.night = n.night::date
    ORDER BY u.unit_id, n.night
  `.execute(db);
  return rows;
}

/**
 * How many of the units are in each status on each night of [from, to), by night. Counted from the
 * taken nights alone (units out of service aside: blocked throughout), so the cost follows the
 * occupancy, not units × nights.
 */
export async function nightCounts(db: Queryable, query: GridQuery): Promise<NightCounts[]> {
  const unitIds = [...new Set(query.unitIds)];
  const unavailable = new Set(query.unavailableUnitIds ?? []);
  const inService = unitIds.filter((unitId) => !unavailable.has(unitId));
  const outOfService = unitIds.length - inService.length;
  const { rows } = await sql<NightCounts>`
    WITH taken AS (${takenSql(query, inService)}),
    per_night AS (
      SELECT night,
        count(*) FILTER (WHERE kind = 'hold') AS held,
        count(*) FILTER (WHERE kind IN ('booking', 'lease')) AS booked,
        count(*) FILTER (WHERE kind = 'block') AS blocked
      FROM taken GROUP BY night
    )
    SELECT n.night::date AS night,
      ${unitIds.length}::int AS total,
      (${inService.length} - coalesce(p.held, 0) - coalesce(p.booked, 0) - coalesce(p.blocked, 0))::int AS available,
      coalesce(p.held, 0)::int AS held,
      coalesce(p.booked, 0)::int AS booked,
      (${outOfService} + coalesce(p.blocked, 0))::int AS blocked
    FROM generate_series(${query.from}::date, ${query.to}::date - 1, interval '1 day') AS n (night)
    LEFT JOIN per_night p ON p.night = n.night::date
    ORDER BY n.night
  `.execute(db);
  return rows;
}

/**
 * One status for a night of several units: available when any unit is free; otherwise held when
 * some unit is only held (it may come free), booked when some is booked, blocked when all are.
 */
export function combinedStatus(counts: Pick<NightCounts, 'available' | 'held' | 'booked'>): NightStatus {
  if (counts.available > 0) return 'available';
  if (counts.held > 0) return 'held';
  if (counts.booked > 0) return 'booked';
  return 'blocked';
}

// --- the grid of a listing or a unit type, and blocks -------------------------------------------------

/** The longest range the grid answers at once: a year and a day. */
export const maxGridNights = 366;
/** The longest block: two years and a day. */
export const maxBlockNights = 731;
/** The range the grid answers when none is asked for: from today, 30 nights. */
export const defaultGridNights = 30;

/**
 * The nights [from, to) asked for, `from` defaulting to today in the property's time zone and `to`
 * to `defaultGridNights` later; 422 `availability.invalid_range` when they are not dates, `to` is
 * not after `from`, or there are more than `maxNights`.
 */
export function nightsAsked(
  query: { from?: string | undefined; to?: string | undefined },
  timeZone: string,
  maxNights = maxGridNights,
): Nights {
  let from: PlainDate;
  let to: PlainDate;
  try {
    from = query.from === undefined ? todayIn(timeZone) : parseDate(query.from);
    to = query.to === undefined ? from.add({ days: defaultGridNights }) : parseDate(query.to);
  } catch {
    throw availabilityErrors.raise('invalid_range', 'from and to are dates, YYYY-MM-DD');
  }
  const count = nightsBetween(from, to);
  if (count < 1) throw availabilityErrors.raise('invalid_range', '`to` is after `from`: it is the day after the last night');
  if (count > maxNights) throw availabilityErrors.raise('invalid_range', `At most ${maxNights} nights at once`);
  return { from: from.toString(), to: to.toString() };
}

/**
 * Whether the caller's granted scope reaches a property: `all` does; an owner member's `own`
 * reaches the properties they own; any other scope (a customer's own bookings) none.
 */
export async function reaches(db: Queryable, access: Pick<Access, 'scope' | 'role' | 'userId'>, propertyId: string): Promise<boolean> {
  if (access.scope === 'all') return true;
  if (access.role !== 'owner') return false;
  return (await propertyIdsOwnedBy(db, access.userId)).includes(propertyId);
}

export interface PricedNight {
  date: string;
  status: NightStatus;
  /** Units free that night, of `total`: 0 or 1 for a listing of one unit. */
  available: number;
  total: number;
  /** The night's price in the unit type's default rate plan; null without one. */
  price: { amount: number; currency: string } | null;
  minStay: number | null;
  maxStay: number | null;
  closedToArrival: boolean;
  closedToDeparture: boolean;
  stopSell: boolean;
}

export interface ListingAvailability {
  listingId: string;
  unitTypeId: string;
  unitId: string | null;
  from: string;
  to: string;
  nights: PricedNight[];
}

/** Units out of order or out of service: unavailable on every night. */
function outOfService(units: UnitFacts[]): string[] {
  return units.filter((unit) => unit.operationalStatus !== 'in_service').map((unit) => unit.id);
}

/**
 * A listing's nights, read in its organization: each night's status (for a unit-type listing, how
 * many of its units are free, and available when any is), merged with the night's price and
 * restrictions from pricing.
 */
export async function listingAvailability(
  db: Queryable,
  terms: Pick<ListingTerms, 'id' | 'propertyId' | 'unitTypeId' | 'unitId'>,
  query: { from?: string | undefined; to?: string | undefined },
  now: Date,
): Promise<ListingAvailability> {
  const property = await propertyFacts(db, terms.propertyId);
  const nights = nightsAsked(query, property?.timeZone ?? 'UTC');
  const unit = terms.unitId === null ? undefined : await unitFacts(db, terms.unitId);
  const units = terms.unitId === null ? await unitsOfType(db, terms.unitTypeId) : unit ? [unit] : [];
  const counts = await nightCounts(db, { unitIds: units.map((u) => u.id), ...nights, now, unavailableUnitIds: outOfService(units) });
  const rates = new Map((await rateNights(db, { unitTypeId: terms.unitTypeId, ...nights })).map((rate) => [rate.night, rate]));
  return {
    listingId: terms.id,
    unitTypeId: terms.unitTypeId,
    unitId: terms.unitId,
    ...nights,
    nights: counts.map((count) => pricedNight(count, rates.get(count.night))),
  };
}

function pricedNight(count: NightCounts, rate: RateNight | undefined): PricedNight {
  return {
    date: count.night,
    status: count.total === 0 ? 'blocked' : combinedStatus(count),
    available: count.available,
    total: count.total,
    price: rate ? { amount: rate.price, currency: rate.currency } : null,
    minStay: rate?.minStay ?? null,
    maxStay: rate?.maxStay ?? null,
    closedToArrival: rate?.closedToArrival ?? false,
    closedToDeparture: rate?.closedToDeparture ?? false,
    stopSell: rate?.stopSell ?? false,
  };
}

export interface UnitTypeAvailability {
  unitTypeId: string;
  from: string;
  to: string;
  nights: NightCounts[];
  /** Each unit's status night by night (in the order of `nights`), when asked for. */
  units?: { id: string; name: string; operationalStatus: UnitFacts['operationalStatus']; statuses: NightStatus[] }[];
}

/** How many of the unit type's units are available, held, booked and blocked on each night; each unit's statuses when asked. */
export async function unitTypeAvailability(
  db: Queryable,
  unitType: Pick<UnitTypeFacts, 'id' | 'propertyId'>,
  query: { from?: string | undefined; to?: string | undefined; units?: boolean | undefined },
  now: Date,
): Promise<UnitTypeAvailability> {
  const property = await propertyFacts(db, unitType.propertyId);
  const nights = nightsAsked(query, property?.timeZone ?? 'UTC');
  const units = await unitsOfType(db, unitType.id);
  const grid: GridQuery = { unitIds: units.map((unit) => unit.id), ...nights, now, unavailableUnitIds: outOfService(units) };
  const reply: UnitTypeAvailability = { unitTypeId: unitType.id, ...nights, nights: await nightCounts(db, grid) };
  if (query.units) {
    const cells = await unitNightStatuses(db, grid);
    reply.units = units.map((unit) => ({
      id: unit.id,
      name: unit.name,
      operationalStatus: unit.operationalStatus,
      statuses: cells.filter((cell) => cell.unitId === unit.id).map((cell) => cell.status),
    }));
  }
  return reply;
}

export interface Block {
  id: string;
  unitId: string;
  from: string;
  to: string;
  reason: BlockReason;
  note: string | null;
  createdBy: string | null;
  createdAt: string;
  releasedAt: string | null;
}

function blockOf(row: BlockRow): Block {
  return {
    id: row.id,
    unitId: row.unitId,
    from: row.nights.from,
    to: row.nights.to,
    reason: row.blockReason,
    note: row.note,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    releasedAt: row.releasedAt?.toISOString() ?? null,
  };
}

/** The unit, when it exists in the acting organization and the caller's scope reaches it; 404 otherwise. */
async function reachableUnit(db: Queryable, access: Pick<Access, 'scope' | 'role' | 'userId'>, unitId: string): Promise<UnitFacts> {
  const unit = await unitFacts(db, unitId);
  if (!unit || !(await reaches(db, access, unit.propertyId))) throw availabilityErrors.raise('unit_not_found', `No unit ${unitId} here`);
  return unit;
}

/**
 * Blocks a unit's nights (owner use, out of order, out of service, maintenance): 409
 * `availability.unit_unavailable` when a stay or another block has any of them. Expired holds in
 * the way are released, and their bookings cancelled as `timeout`.
 */
export async function blockUnit(
  tx: Tx,
  input: {
    access: Pick<Access, 'scope' | 'role' | 'userId' | 'orgId'>;
    caller: Caller;
    unitId: string;
    body: { from: string; to: string; reason: BlockReason; note?: string | undefined };
  },
  now: Date = new Date(),
): Promise<Block> {
  const { access, caller, unitId, body } = input;
  const unit = await reachableUnit(tx, access, unitId);
  const property = await propertyFacts(tx, unit.propertyId);
  const nights = nightsAsked(body, property?.timeZone ?? 'UTC', maxBlockNights);
  let occupied: { id: string; expiredBookingIds: string[] };
  try {
    occupied = await occupy(
      tx,
      {
        unitId,
        nights,
        kind: 'block',
        blockReason: body.reason,
        ...(body.note === undefined ? {} : { note: body.note }),
        createdBy: caller.userId,
      },
      now,
    );
  } catch (error) {
    if (error instanceof OccupancyConflict)
      throw availabilityErrors.raise(
        'unit_unavailable',
        `Unit ${unit.name} is occupied or blocked on some nights from ${nights.from} to ${nights.to}`,
      );
    throw error;
  }
  await expireBookings(tx, occupied.expiredBookingIds, caller, now);
  const block = blockOf((await blockById(tx, occupied.id))!);
  await recordChange(tx, caller, {
    orgId: access.orgId,
    action: 'CREATE',
    entityType: 'unit_block',
    entityId: block.id,
    after: { ...block },
    event: {
      type: 'unit.blocked',
      source: 'bookings',
      aggregate: { type: 'unit', id: unitId },
      data: { blockId: block.id, unitId, propertyId: unit.propertyId, from: block.from, to: block.to, reason: block.reason },
    },
  });
  return block;
}

/** Releases a block: its nights are free again. 409 `availability.block_released` when it already was. */
export async function unblock(
  tx: Tx,
  input: { access: Pick<Access, 'scope' | 'role' | 'userId' | 'orgId'>; caller: Caller; blockId: string },
): Promise<Block> {
  const { access, caller, blockId } = input;
  const row = await blockById(tx, blockId);
  if (!row) throw availabilityErrors.raise('block_not_found', `No block ${blockId} here`);
  const unit = await unitFacts(tx, row.unitId);
  if (!unit || !(await reaches(tx, access, unit.propertyId))) throw availabilityErrors.raise('block_not_found', `No block ${blockId} here`);
  if (!(await releaseOccupancy(tx, blockId))) throw availabilityErrors.raise('block_released');
  const before = blockOf(row);
  const after = blockOf((await blockById(tx, blockId))!);
  await recordChange(tx, caller, {
    orgId: access.orgId,
    action: 'DELETE',
    entityType: 'unit_block',
    entityId: blockId,
    before: { ...before },
    after: { ...after },
    event: {
      type: 'unit.unblocked',
      source: 'bookings',
      aggregate: { type: 'unit', id: row.unitId },
      data: { blockId, unitId: row.unitId, propertyId: unit.propertyId, from: after.from, to: after.to, reason: after.reason },
    },
  });
  return after;
}

/** The unit's blocks by first night, a page at a time: active ones, or released ones too when asked. */
export async function listBlocks(
  db: Queryable,
  input: {
    access: Pick<Access, 'scope' | 'role' | 'userId'>;
    unitId: string;
    query: { from?: string | undefined; to?: string | undefined; includeReleased?: boolean | undefined; page: number; pageSize: number };
  },
): Promise<{ data: Block[]; total: number }> {
  const { access, unitId, query } = input;
  await reachableUnit(db, access, unitId);
  const { data, total } = await blocksOfUnit(db, {
    unitId,
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
    includeReleased: query.includeReleased ?? false,
    ...offsetOf(query),
  });
  return { data: data.map(blockOf), total };
}
