import type pg from 'pg';
import { createPool } from '../../src/platform/db/database.ts';
import { createHost, day, fillYear } from '../booking-fixtures.ts';
import { type CapturedQuery, withBenchServer } from '../child.ts';
import { measureHttp } from '../http.ts';
import { compare, type Measurement } from '../results.ts';
import { loopMeasurement, runLoops } from '../stats.ts';
import { type Scenario, type ScenarioContext, serverOptions } from './context.ts';

/**
 * Scenario 6: a listing's availability grid for a year, `GET /v1/listings/:listingId/availability`
 * over 365 nights of a unit type of 20 units with a few hundred bookings, read anonymously as the
 * marketplace reads it. Two limits: the same grid computed by PostgreSQL in one hand-written
 * statement, and the statements the route itself sent, replayed straight to PostgreSQL.
 */

/** One night of the reply, as the route answers it. */
interface GridNight {
  date: string;
  status: string;
  available: number;
  total: number;
  price: { amount: number; currency: string } | null;
  minStay: number | null;
  maxStay: number | null;
  closedToArrival: boolean;
  closedToDeparture: boolean;
  stopSell: boolean;
}

/**
 * The whole grid in one statement: for each night, how many of the unit type's units are free, held,
 * booked and blocked (units out of service blocked throughout; a hold expired at $4 free), its
 * status, and its price and restrictions in the default rate plan (the night's own price, else the
 * season's weekday price or price, else the plan's weekday price or base price). Parameters: the
 * unit type, the first night, the day after the last, and the moment holds are judged at. Row-level
 * security applies: the connection acts for the listing's organization.
 */
export const gridSql = `
WITH nights AS (
  SELECT $2::date + i AS night FROM generate_series(0, $3::date - $2::date - 1) AS i
),
units AS (
  SELECT id, operational_status = 'in_service' AS in_service FROM unit WHERE unit_type_id = $1
),
unit_counts AS (
  SELECT count(*)::int AS total, (count(*) FILTER (WHERE in_service))::int AS in_service FROM units
),
taken AS (
  SELECT greatest(lower(o.nights), $2::date) + i AS night, o.kind
  FROM occupancy o
  JOIN units u ON u.id = o.unit_id AND u.in_service
  CROSS JOIN LATERAL generate_series(0, least(upper(o.nights), $3::date) - greatest(lower(o.nights), $2::date) - 1) AS i
  WHERE o.released_at IS NULL AND o.nights && daterange($2::date, $3::date, '[)')
    AND NOT (o.kind = 'hold' AND o.expires_at <= $4)
),
per_night AS (
  SELECT night,
    count(*) FILTER (WHERE kind = 'hold') AS held,
    count(*) FILTER (WHERE kind IN ('booking', 'lease')) AS booked,
    count(*) FILTER (WHERE kind = 'block') AS blocked
  FROM taken GROUP BY night
),
plan AS (
  SELECT id, base_price, weekday_prices, trim(currency) AS currency FROM rate_plan WHERE unit_type_id = $1 AND is_default
),
days AS (
  SELECT rd.* FROM rate_day rd JOIN plan pl ON rd.rate_plan_id = pl.id WHERE rd.night >= $2::date AND rd.night < $3::date
),
seasons AS (
  SELECT s.* FROM rate_season s JOIN plan pl ON s.rate_plan_id = pl.id WHERE s.nights && daterange($2::date, $3::date, '[)')
),
grid AS (
  SELECT n.night, c.total,
    c.in_service - coalesce(p.held, 0)::int - coalesce(p.booked, 0)::int - coalesce(p.blocked, 0)::int AS available,
    coalesce(p.held, 0)::int AS held,
    coalesce(p.booked, 0)::int AS booked,
    CASE WHEN pl.id IS NULL THEN NULL ELSE coalesce(
      rd.price,
      CASE WHEN s.id IS NOT NULL THEN coalesce((s.weekday_prices ->> w.day)::bigint, s.price)
           ELSE coalesce((pl.weekday_prices ->> w.day)::bigint, pl.base_price) END
    ) END AS price,
    pl.currency,
    rd.min_stay, rd.max_stay,
    coalesce(rd.closed_to_arrival, false) AS closed_to_arrival,
    coalesce(rd.closed_to_departure, false) AS closed_to_departure,
    coalesce(rd.stop_sell, false) AS stop_sell
  FROM nights n
  CROSS JOIN unit_counts c
  CROSS JOIN LATERAL (SELECT (ARRAY['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])[extract(isodow FROM n.night)::int] AS day) w
  LEFT JOIN plan pl ON true
  LEFT JOIN per_night p ON p.night = n.night
  LEFT JOIN seasons s ON s.nights @> n.night
  LEFT JOIN days rd ON rd.night = n.night
)
SELECT to_char(night, 'YYYY-MM-DD') AS date,
  CASE WHEN total = 0 THEN 'blocked' WHEN available > 0 THEN 'available' WHEN held > 0 THEN 'held'
       WHEN booked > 0 THEN 'booked' ELSE 'blocked' END AS status,
  available, total, price, currency, min_stay, max_stay, closed_to_arrival, closed_to_departure, stop_sell
FROM grid ORDER BY night`;

interface GridRow {
  date: string;
  status: string;
  available: number;
  total: number;
  price: number | null;
  currency: string | null;
  min_stay: number | null;
  max_stay: number | null;
  closed_to_arrival: boolean;
  closed_to_departure: boolean;
  stop_sell: boolean;
}

function nightOf(row: GridRow): GridNight {
  return {
    date: row.date,
    status: row.status,
    available: row.available,
    total: row.total,
    price: row.price === null || row.currency === null ? null : { amount: row.price, currency: row.currency },
    minStay: row.min_stay,
    maxStay: row.max_stay,
    closedToArrival: row.closed_to_arrival,
    closedToDeparture: row.closed_to_departure,
    stopSell: row.stop_sell,
  };
}

/** Nights where the statement and the route disagree, the first one shown: none, or a problem to report. */
function differences(route: GridNight[], statement: GridNight[]): string | undefined {
  if (route.length !== statement.length) return `the statement returned ${statement.length} nights, the route ${route.length}`;
  const fields = (night: GridNight | undefined) =>
    night &&
    JSON.stringify([
      night.date,
      night.status,
      night.available,
      night.total,
      night.price?.amount ?? null,
      night.price?.currency ?? null,
      night.minStay,
      night.maxStay,
      night.closedToArrival,
      night.closedToDeparture,
      night.stopSell,
    ]);
  const differing = route.filter((night, index) => fields(night) !== fields(statement[index]));
  if (differing.length === 0) return undefined;
  const first = differing[0]!;
  const theirs = statement.find((night) => night.date === first.date);
  return `${differing.length} of ${route.length} nights differ from the route’s reply, first ${JSON.stringify(first)} against ${JSON.stringify(theirs)}`;
}

/** A statement's first words, for the notes. */
function shortly(statement: CapturedQuery | undefined): string {
  return statement?.sql.trim().split(/\s+/).slice(0, 4).join(' ') ?? '';
}

/** The URL with a startup option naming the organization, so every statement on its connections acts for it. */
export function actingFor(url: string, orgId: string): string {
  const parsed = new URL(url);
  const options = parsed.searchParams.get('options');
  parsed.searchParams.set('options', [options, `-c tenure.org_id=${orgId}`].filter(Boolean).join(' '));
  return parsed.toString();
}

/** The captured statements, one after another on one connection, as the route sent them. */
async function replay(pool: pg.Pool, statements: CapturedQuery[]): Promise<void> {
  const client = await pool.connect();
  try {
    for (const statement of statements) await client.query(statement.sql, statement.parameters);
  } catch (error) {
    // A connection left inside a failed transaction is not given back to the pool.
    client.release(error as Error);
    throw error;
  }
  client.release();
}

/** Warms up, then measures `operation` from the configured number of workers over a pool of the configured size. */
async function measureLoop(context: ScenarioContext, key: string, label: string, operation: () => Promise<unknown>): Promise<Measurement> {
  const { settings } = context;
  await runLoops({ workers: settings.connections, seconds: settings.warmupSeconds, operation });
  const loop = await runLoops({ workers: settings.connections, seconds: settings.seconds, operation });
  return loopMeasurement(key, label, loop, { unit: 'grids/s', isLimit: true });
}

export const availabilityScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const { nights, units, bookings, blocks } = settings.grid;
  result.comparisons.push(
    compare(
      'http.grid',
      'sql.grid.statement',
      'share of the rate at which PostgreSQL computes the same grid in one statement that the route reaches',
    ),
    compare(
      'http.grid',
      'sql.grid.route',
      'share of the route’s own SQL, replayed, that the route reaches: the cost of HTTP, the checks and 365 nights of JSON',
    ),
    compare(
      'sql.grid.route',
      'sql.grid.statement',
      'the route’s statements against one statement; below 1.0 the round trips and the work split across them cost',
    ),
    compare('http.grid', 'http.tenure.live', 'a year’s grid against the app’s empty route (scenario 1)'),
  );

  await withBenchServer('tenure-modules', serverOptions(context), async (server) => {
    log(`  set-up: a listing of a unit type of ${units} units, ${bookings} bookings and ${blocks} blocks over the year`);
    const host = await createHost(server.baseUrl, context.database.url, 'grid');
    const fixture = await host.unitType(units, 'GRID');
    const filled = await fillYear(host, fixture, { count: bookings, blocks, nights });
    await host.restrictNights(fixture);
    const listingId = await host.approvedListing(fixture);
    const from = day(1);
    const to = day(1 + nights);
    const path = `/v1/listings/${listingId}/availability?from=${from}&to=${to}`;

    // The route's reply once, and every statement it sent PostgreSQL to make it.
    let reply: { nights: GridNight[] } | undefined;
    const statements = await server.capture(async () => {
      reply = await host.client.expect<{ nights: GridNight[] }>(200, 'GET', path);
    });
    if (!reply) throw new Error(`GET ${path} gave no reply`);
    const routeNights = reply.nights;
    const now = new Date();

    const pool = createPool({
      url: actingFor(context.database.url, host.orgId),
      poolMax: settings.poolMax,
      applicationName: 'tenure-bench-raw',
    });
    try {
      const single = async () => (await pool.query<GridRow>(gridSql, [fixture.unitTypeId, from, to, now])).rows;
      const mismatch = differences(routeNights, (await single()).map(nightOf));

      log(`  raw SQL limit: the ${nights}-night grid in one statement, ${settings.connections} workers over a pool of ${settings.poolMax}`);
      const statement = await measureLoop(
        context,
        'sql.grid.statement',
        `Raw SQL: the ${nights}-night grid with prices in one hand-written statement (pg Pool of ${settings.poolMax}, ${settings.connections} workers)`,
        single,
      );
      if (mismatch) statement.problems.push(mismatch);
      result.measurements.push(statement);

      log(`  raw SQL limit: the route's own ${statements.length} statements replayed`);
      result.measurements.push(
        await measureLoop(
          context,
          'sql.grid.route',
          `Raw SQL: the route’s own ${statements.length} statements, BEGIN to COMMIT, replayed on one connection each time`,
          () => replay(pool, statements),
        ),
      );
    } finally {
      await pool.end();
    }

    log(`  GET /v1/listings/:listingId/availability, ${nights} nights, anonymous`);
    result.measurements.push(
      await measureHttp(
        'http.grid',
        `GET /v1/listings/:listingId/availability, ${nights} nights (anonymous, as the marketplace)`,
        { url: `${server.baseUrl}${path}`, method: 'GET' },
        settings,
      ),
    );

    const taken = routeNights.reduce((sum, night) => sum + (night.total - night.available), 0);
    result.notes.push(
      `The listing: one unit type of ${units} units in Lisbon, its default rate plan dearer on Fridays and Saturdays and for a summer season, ` +
        'with a minimum stay on Saturdays, a dear week closed to arrival and 3 nights of stop-sell. ' +
        `Its year: ${filled.booked} confirmed bookings and ${filled.held} held ones of 1 to 7 nights (${filled.refused} refused for want of a unit) and ${filled.blocked} week-long blocks, ` +
        `made through the routes first: ${taken} of the ${units * nights} unit-nights from ${from} to ${to} are taken. The reply is ${nights} nights of JSON.`,
      'The route reads as the public does (no token): the listing’s organization from the public read model, then its units, the night counts, ' +
        'the default plan, its seasons and its nights, in one READ ONLY transaction.',
      `The hand-written statement is checked against the route’s reply, night by night, before it is timed. The replay sends the ${statements.length} statements ` +
        `the route sent, from “${shortly(statements[0])}” to “${shortly(statements.at(-1))}”, with the same parameters.`,
    );
  });
};
