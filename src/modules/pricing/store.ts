import { sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { type WeekdayKey, weekdayKeys } from '../../platform/dates.ts';
import { countRows } from '../../platform/db/queries.ts';

/** The pricing module's SQL: its own tables only, each query named after what it returns. */

export type WeekdayPrices = Partial<Record<WeekdayKey, number>>;

export interface RatePlanRow {
  id: string;
  orgId: string;
  propertyId: string;
  unitTypeId: string;
  name: string;
  code: string;
  isDefault: boolean;
  currency: string;
  basePrice: number;
  weekdayPrices: WeekdayPrices;
  cleaningFee: number;
  extraGuestFee: number;
  guestsIncluded: number;
  serviceFeeBps: number;
  weeklyDiscountBps: number;
  monthlyDiscountBps: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The columns of a plan that make its prices. */
export const ratePlanPriceFields = [
  'basePrice',
  'weekdayPrices',
  'cleaningFee',
  'extraGuestFee',
  'guestsIncluded',
  'serviceFeeBps',
  'weeklyDiscountBps',
  'monthlyDiscountBps',
] as const;

/** The columns a client sets on a plan: its name and code, and its prices. */
export type RatePlanValues = Pick<RatePlanRow, 'name' | 'code' | (typeof ratePlanPriceFields)[number]>;

const ratePlanColumns = [
  'id',
  'orgId',
  'propertyId',
  'unitTypeId',
  'name',
  'code',
  'isDefault',
  'currency',
  ...ratePlanPriceFields,
  'createdAt',
  'updatedAt',
] as const;

/** Only the weekday keys with whole, non-negative amounts: jsonb is checked to be an object, no more. */
export function weekdayPricesOf(stored: unknown): WeekdayPrices {
  const prices: WeekdayPrices = {};
  if (stored === null || typeof stored !== 'object') return prices;
  for (const key of weekdayKeys) {
    const value = (stored as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) prices[key] = value;
  }
  return prices;
}

function toRatePlan(row: Omit<RatePlanRow, 'weekdayPrices'> & { weekdayPrices: unknown }): RatePlanRow {
  return { ...row, currency: row.currency.trim(), weekdayPrices: weekdayPricesOf(row.weekdayPrices) };
}

/** Plan changes of one unit type take turns: which plan is the default is decided one at a time. */
export async function lockUnitTypePlans(tx: Tx, unitTypeId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`pricing.rate_plan:${unitTypeId}`}, 0))`.execute(tx);
}

export async function insertRatePlan(
  tx: Tx,
  plan: RatePlanValues & { id: string; orgId: string; propertyId: string; unitTypeId: string; currency: string; isDefault: boolean },
): Promise<RatePlanRow> {
  const row = await tx
    .insertInto('ratePlan')
    .values({ ...plan, weekdayPrices: JSON.stringify(plan.weekdayPrices) })
    .returning(ratePlanColumns)
    .executeTakeFirstOrThrow();
  return toRatePlan(row);
}

export async function updateRatePlan(tx: Tx, id: string, change: Partial<RatePlanValues> & { isDefault?: boolean }): Promise<RatePlanRow> {
  const { weekdayPrices, ...rest } = change;
  const row = await tx
    .updateTable('ratePlan')
    .set({ ...rest, ...(weekdayPrices ? { weekdayPrices: JSON.stringify(weekdayPrices) } : {}), updatedAt: sql`now()` })
    .where('id', '=', id)
    .returning(ratePlanColumns)
    .executeTakeFirstOrThrow();
  return toRatePlan(row);
}

export async function clearDefaultPlan(tx: Tx, unitTypeId: string): Promise<RatePlanRow | undefined> {
  const row = await tx
    .updateTable('ratePlan')
    .set({ isDefault: false, updatedAt: sql`now()` })
    .where('unitTypeId', '=', unitTypeId)
    .where('isDefault', '=', true)
    .returning(ratePlanColumns)
    .executeTakeFirst();
  return row && toRatePlan(row);
}

export async function deleteRatePlan(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('ratePlan').where('id', '=', id).execute();
}

export async function ratePlanById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<RatePlanRow | undefined> {
  const query = db.selectFrom('ratePlan').select(ratePlanColumns).where('id', '=', id);
  const row = await (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  return row && toRatePlan(row);
}

export async function defaultRatePlan(db: Queryable, unitTypeId: string): Promise<RatePlanRow | undefined> {
  const row = await db
    .selectFrom('ratePlan')
    .select(ratePlanColumns)
    .where('unitTypeId', '=', unitTypeId)
    .where('isDefault', '=', true)
    .executeTakeFirst();
  return row && toRatePlan(row);
}

export function countRatePlans(db: Queryable, unitTypeId: string): Promise<number> {
  return countRows(db.selectFrom('ratePlan').where('unitTypeId', '=', unitTypeId));
}

/** The unit type's plans, the default first, then oldest first. */
export async function ratePlansOfUnitType(
  db: Queryable,
  unitTypeId: string,
  page: { limit: number; offset: number },
): Promise<RatePlanRow[]> {
  const rows = await db
    .selectFrom('ratePlan')
    .select(ratePlanColumns)
    .where('unitTypeId', '=', unitTypeId)
    .orderBy('isDefault', 'desc')
    .orderBy('createdAt')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return rows.map(toRatePlan);
}

/** The oldest plan of the unit type other than `exceptId`: the one that becomes the default when the default goes. */
export async function oldestOtherPlan(tx: Tx, unitTypeId: string, exceptId: string): Promise<RatePlanRow | undefined> {
  const row = await tx
    .selectFrom('ratePlan')
    .select(ratePlanColumns)
    .where('unitTypeId', '=', unitTypeId)
    .where('id', '<>', exceptId)
    .orderBy('createdAt')
    .orderBy('id')
    .executeTakeFirst();
  return row && toRatePlan(row);
}

// --- seasons ---------------------------------------------------------------------------------------

export interface SeasonRow {
  id: string;
  orgId: string;
  ratePlanId: string;
  name: string;
  /** The first night. */
  from: string;
  /** The night after the last (exclusive). */
  to: string;
  price: number;
  weekdayPrices: WeekdayPrices;
  createdAt: Date;
}

/** A season as stored: its weekday prices are jsonb, checked by `toSeason`. */
type StoredSeason = Omit<SeasonRow, 'weekdayPrices'> & { weekdayPrices: unknown };

const seasonSelection = sql<StoredSeason>`id, org_id, rate_plan_id, name, lower(nights) AS "from", upper(nights) AS "to", price, weekday_prices, created_at`;

function toSeason(row: StoredSeason): SeasonRow {
  return { ...row, weekdayPrices: weekdayPricesOf(row.weekdayPrices) };
}

export async function insertSeason(tx: Tx, season: Omit<SeasonRow, 'createdAt'>): Promise<SeasonRow> {
  const { rows } = await sql<StoredSeason>`
    INSERT INTO rate_season (id, org_id, rate_plan_id, name, nights, price, weekday_prices)
    VALUES (${season.id}, ${season.orgId}, ${season.ratePlanId}, ${season.name}, daterange(${season.from}::date, ${season.to}::date, '[)'),
            ${season.price}, ${JSON.stringify(season.weekdayPrices)}::jsonb)
    RETURNING ${seasonSelection}
  `.execute(tx);
  return toSeason(rows[0]!);
}

export async function seasonById(db: Queryable, id: string): Promise<SeasonRow | undefined> {
  const { rows } = await sql<StoredSeason>`
    SELECT ${seasonSelection} FROM rate_season WHERE id = ${id}
  `.execute(db);
  return rows[0] && toSeason(rows[0]);
}

/** The plan's seasons in start order; with a range, only those overlapping [from, to). */
export async function seasonsOfPlan(
  db: Queryable,
  ratePlanId: string,
  options: { from?: string; to?: string; limit?: number; offset?: number } = {},
): Promise<SeasonRow[]> {
  const overlapping =
    options.from !== undefined && options.to !== undefined
      ? sql`AND nights && daterange(${options.from}::date, ${options.to}::date, '[)')`
      : sql``;
  const { rows } = await sql<StoredSeason>`
    SELECT ${seasonSelection} FROM rate_season
    WHERE rate_plan_id = ${ratePlanId} ${overlapping}
    ORDER BY lower(nights), id
    LIMIT ${options.limit ?? null} OFFSET ${options.offset ?? 0}
  `.execute(db);
  return rows.map(toSeason);
}

export function countSeasons(db: Queryable, ratePlanId: string): Promise<number> {
  return countRows(db.selectFrom('rateSeason').where('ratePlanId', '=', ratePlanId));
}

export async function deleteSeason(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('rateSeason').where('id', '=', id).execute();
}

/** The lowest season price of the plan among seasons not ended before `today`. */
export async function lowestSeasonPrice(db: Queryable, ratePlanId: string, today: string): Promise<number | undefined> {
  const { rows } = await sql<{ lowest: number | null }>`
    SELECT min(price) AS lowest FROM rate_season WHERE rate_plan_id = ${ratePlanId} AND upper(nights) > ${today}::date
  `.execute(db);
  return rows[0]?.lowest ?? undefined;
}

// --- nights ----------------------------------------------------------------------------------------

export interface RateDayRow {
  night: string;
  price: number | null;
  minStay: number | null;
  maxStay: number | null;
  closedToArrival: boolean;
  closedToDeparture: boolean;
  stopSell: boolean;
}

const rateDayColumns = ['night', 'price', 'minStay', 'maxStay', 'closedToArrival', 'closedToDeparture', 'stopSell'] as const;

/** The plan's rows for nights in [from, to), in order (nights without a row have none). */
export function rateDaysOf(db: Queryable, ratePlanId: string, range: { from: string; to: string }): Promise<RateDayRow[]> {
  return db
    .selectFrom('rateDay')
    .select(rateDayColumns)
    .where('ratePlanId', '=', ratePlanId)
    .where('night', '>=', range.from)
    .where('night', '<', range.to)
    .orderBy('night')
    .execute();
}

/** A night's settable fields; undefined leaves a field as it is, null clears it. */
export interface RateDayChange {
  price?: number | null;
  minStay?: number | null;
  maxStay?: number | null;
  closedToArrival?: boolean | null;
  closedToDeparture?: boolean | null;
  stopSell?: boolean | null;
}

const rateDayFields = {
  price: { column: 'price', cleared: null },
  minStay: { column: 'min_stay', cleared: null },
  maxStay: { column: 'max_stay', cleared: null },
  closedToArrival: { column: 'closed_to_arrival', cleared: false },
  closedToDeparture: { column: 'closed_to_departure', cleared: false },
  stopSell: { column: 'stop_sell', cleared: false },
} as const;

/**
 * Sets the given fields on every night of [from, to) whose ISO weekday (1 = Monday) is among
 * `isoWeekdays`, in one statement: new nights get the given fields and the defaults for the rest,
 * existing nights change only the given fields. Nights left with nothing set are removed.
 */
export async function upsertRateDays(
  tx: Tx,
  target: { orgId: string; ratePlanId: string; from: string; to: string; isoWeekdays: number[] },
  change: RateDayChange,
): Promise<void> {
  const given = (Object.keys(rateDayFields) as (keyof RateDayChange)[]).filter((field) => change[field] !== undefined);
  const valueOf = (field: keyof RateDayChange) => {
    const value = change[field];
    return value === undefined || value === null ? rateDayFields[field].cleared : value;
  };
  const inserted = (Object.keys(rateDayFields) as (keyof RateDayChange)[]).map((field) => {
    const value = valueOf(field);
    return field === 'price' || field === 'minStay' || field === 'maxStay' ? sql`${value}::bigint` : sql`${value}::boolean`;
  });
  const columns = Object.values(rateDayFields).map((field) => sql.raw(field.column));
  const updates = given.map((field) => sql`${sql.raw(rateDayFields[field].column)} = EXCLUDED.${sql.raw(rateDayFields[field].column)}`);
  await sql`
    INSERT INTO rate_day (org_id, rate_plan_id, night, ${sql.join(columns)}, updated_at)
    SELECT ${target.orgId}, ${target.ratePlanId}, night::date, ${sql.join(inserted)}, now()
    FROM generate_series(${target.from}::date, ${target.to}::date - 1, interval '1 day') AS night
    WHERE extract(isodow FROM night)::int = ANY(${target.isoWeekdays}::int[])
    ON CONFLICT (rate_plan_id, night) DO UPDATE SET ${sql.join([...updates, sql`updated_at = now()`])}
  `.execute(tx);
  await sql`
    DELETE FROM rate_day
    WHERE rate_plan_id = ${target.ratePlanId} AND night >= ${target.from}::date AND night < ${target.to}::date
      AND price IS NULL AND min_stay IS NULL AND max_stay IS NULL AND NOT closed_to_arrival AND NOT closed_to_departure AND NOT stop_sell
  `.execute(tx);
}

// --- taxes -----------------------------------------------------------------------------------------

export type TaxKind = 'percentage' | 'per_night' | 'per_person_per_night';

export interface TaxRow {
  id: string;
  orgId: string;
  propertyId: string;
  name: string;
  kind: TaxKind;
  rateBps: number | null;
  amount: number | null;
  currency: string | null;
  inclusive: boolean;
  appliesToFees: boolean;
  rentalModes: ('daily' | 'monthly' | 'lease')[];
  createdAt: Date;
  updatedAt: Date;
}

export type TaxValues = Pick<TaxRow, 'name' | 'kind' | 'rateBps' | 'amount' | 'currency' | 'inclusive' | 'appliesToFees' | 'rentalModes'>;

const taxColumns = [
  'id',
  'orgId',
  'propertyId',
  'name',
  'kind',
  'rateBps',
  'amount',
  'currency',
  'inclusive',
  'appliesToFees',
  'rentalModes',
  'createdAt',
  'updatedAt',
] as const;

function toTax(row: Omit<TaxRow, 'kind' | 'rentalModes'> & { kind: string; rentalModes: string[] }): TaxRow {
  return {
    ...row,
    currency: row.currency?.trim() ?? null,
    kind: row.kind as TaxKind,
    rentalModes: row.rentalModes as TaxRow['rentalModes'],
  };
}

export async function insertTax(tx: Tx, tax: TaxValues & { id: string; orgId: string; propertyId: string }): Promise<TaxRow> {
  return toTax(await tx.insertInto('tax').values(tax).returning(taxColumns).executeTakeFirstOrThrow());
}

export async function updateTax(tx: Tx, id: string, change: TaxValues): Promise<TaxRow> {
  return toTax(
    await tx
      .updateTable('tax')
      .set({ ...change, updatedAt: sql`now()` })
      .where('id', '=', id)
      .returning(taxColumns)
      .executeTakeFirstOrThrow(),
  );
}

export async function deleteTax(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('tax').where('id', '=', id).execute();
}

export async function taxById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<TaxRow | undefined> {
  const query = db.selectFrom('tax').select(taxColumns).where('id', '=', id);
  const row = await (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  return row && toTax(row);
}

/** The property's taxes in the order they were created (the order of a quote's tax lines). */
export async function taxesOfProperty(
  db: Queryable,
  propertyId: string,
  options: { rentalMode?: 'daily' | 'monthly' | 'lease'; limit?: number; offset?: number } = {},
): Promise<TaxRow[]> {
  let query = db.selectFrom('tax').select(taxColumns).where('propertyId', '=', propertyId);
  if (options.rentalMode) query = query.where(sql<boolean>`${options.rentalMode} = ANY(rental_modes)`);
  if (options.limit !== undefined) query = query.limit(options.limit).offset(options.offset ?? 0);
  const rows = await query.orderBy('createdAt').orderBy('id').execute();
  return rows.map(toTax);
}

export function countTaxes(db: Queryable, propertyId: string): Promise<number> {
  return countRows(db.selectFrom('tax').where('propertyId', '=', propertyId));
}

// --- cancellation policies -------------------------------------------------------------------------

export interface PolicyRow {
  id: string;
  orgId: string;
  name: string;
  rules: unknown;
  createdAt: Date;
  updatedAt: Date;
}

const policyColumns = ['id', 'orgId', 'name', 'rules', 'createdAt', 'updatedAt'] as const;

export function insertPolicy(tx: Tx, policy: { id: string; orgId: string; name: string; rules: unknown }): Promise<PolicyRow> {
  return tx
    .insertInto('cancellationPolicy')
    .values({ ...policy, rules: JSON.stringify(policy.rules) })
    .returning(policyColumns)
    .executeTakeFirstOrThrow();
}

export function updatePolicy(tx: Tx, id: string, change: { name?: string; rules?: unknown }): Promise<PolicyRow> {
  return tx
    .updateTable('cancellationPolicy')
    .set({
      ...(change.name !== undefined ? { name: change.name } : {}),
      ...(change.rules !== undefined ? { rules: JSON.stringify(change.rules) } : {}),
      updatedAt: sql`now()`,
    })
    .where('id', '=', id)
    .returning(policyColumns)
    .executeTakeFirstOrThrow();
}

export async function deletePolicy(tx: Tx, id: string): Promise<void> {
  await tx.deleteFrom('cancellationPolicy').where('id', '=', id).execute();
}

export function policyById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<PolicyRow | undefined> {
  const query = db.selectFrom('cancellationPolicy').select(policyColumns).where('id', '=', id);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

export function policiesOfOrganization(db: Queryable, page: { limit: number; offset: number }): Promise<PolicyRow[]> {
  return db
    .selectFrom('cancellationPolicy')
    .select(policyColumns)
    .orderBy('name')
    .orderBy('id')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
}

export function countPolicies(db: Queryable): Promise<number> {
  return countRows(db.selectFrom('cancellationPolicy'));
}

/** PostgreSQL's error code and constraint, to turn a constraint's refusal into a stable code. */
export function constraintError(error: unknown): { code: string; constraint: string | undefined } | undefined {
  if (error === null || typeof error !== 'object') return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return typeof code === 'string' ? { code, constraint: typeof constraint === 'string' ? constraint : undefined } : undefined;
}
