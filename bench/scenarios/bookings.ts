import { randomUUID } from 'node:crypto';
import { createClient } from '../../src/platform/db/database.ts';
import { createHost, day, type Host, type UnitTypeFixture } from '../booking-fixtures.ts';
import { withBenchServer } from '../child.ts';
import { type HttpLoad, type HttpRun, httpMeasurement, runHttp, statusCounts } from '../http.ts';
import { compare } from '../results.ts';
import { pgbenchVersion, runPgbench } from './pgbench.ts';
import { type Scenario, type ScenarioContext, serverOptions } from './context.ts';

/**
 * Scenario 5: booking creation over HTTP, `POST /v1/bookings` by staff with a fresh
 * Idempotency-Key, paid at the property so that each booking is confirmed in its request. First
 * without contention (every request its own unit and nights), then with it (many requests at once
 * for overlapping nights of one small unit type, most of them answered 409), then PostgreSQL's own
 * TPC-B with pgbench at the same concurrency on the same server, as the limit.
 */

/** Nights of each uncontended stay, and how far ahead stays are booked. */
const stayNights = 2;
const horizonNights = 730;
/** A contended request's window: up to 3 nights from one of its first 3, moved on 2 nights every group. */
const windowStride = 2;

/** Every date from today to the horizon, computed once so that the load generator only looks them up. */
function datesAhead(): string[] {
  return Array.from({ length: horizonNights + 8 }, (_, days) => day(days));
}

interface Tally {
  /** 409 replies with `booking.dates_unavailable`, and any other 409. */
  datesUnavailable: number;
  other409: number;
  onResponse: (status: number, body: string) => void;
}

function tally(): Tally {
  const counts: Tally = {
    datesUnavailable: 0,
    other409: 0,
    onResponse: (status, body) => {
      if (status !== 409) return;
      if (body.includes('"booking.dates_unavailable"')) counts.datesUnavailable++;
      else counts.other409++;
    },
  };
  return counts;
}

function bookingLoad(url: string, host: Host, body: () => string, counts: Tally): HttpLoad {
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${host.token}` },
    perRequestHeaders: () => ({ 'idempotency-key': randomUUID() }),
    perRequestBody: body,
    onResponse: counts.onResponse,
  };
}

function staffBooking(host: Host, unitTypeId: string, checkIn: string, checkOut: string, unitId?: string): string {
  return JSON.stringify({
    rentalMode: 'daily',
    unitTypeId,
    ...(unitId === undefined ? {} : { unitId }),
    checkIn,
    checkOut,
    customerId: host.customerId,
    guarantee: 'pay_at_property',
  });
}

const count = (run: HttpRun, status: number) => run.statuses.get(status) ?? 0;

export const bookingsScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const { units, contendedUnits, contendedGroup, pgbenchScale } = settings.bookings;
  const dates = datesAhead();
  const failures: string[] = [];
  result.comparisons.push(
    compare('http.booking.uncontended', 'pgbench.tpcb.bookings', 'bookings per TPC-B transaction at the same concurrency, no contention'),
    compare('http.booking.contended', 'pgbench.tpcb.bookings', 'requests answered (201 or 409) per TPC-B transaction, with contention'),
    compare('http.booking.contended.created', 'pgbench.tpcb.bookings', 'bookings made per TPC-B transaction, with contention'),
    compare(
      'http.booking.contended',
      'http.booking.uncontended',
      'requests answered under contention against bookings without; below 1.0 contention costs',
    ),
    compare('http.booking.uncontended', 'http.post.uniquekey', 'a booking against the one-row POST with an Idempotency-Key (scenario 2)'),
  );

  await withBenchServer('tenure-modules', serverOptions(context), async (server) => {
    log(`  set-up: an organization, unit types of ${units} and ${contendedUnits} units, a customer`);
    const host = await createHost(server.baseUrl, context.database.url, 'bookings');
    const open = await host.unitType(units, 'OPEN');
    const busy = await host.unitType(contendedUnits, 'BUSY');
    const url = `${server.baseUrl}/v1/bookings`;

    // (a) No contention: request i books unit i mod `units`, on the next 2 nights that unit has free.
    const slotsPerUnit = Math.floor((horizonNights - 1) / stayNights);
    let nextOpen = 0;
    const openBody = () => {
      const index = nextOpen++;
      const start = 1 + (Math.floor(index / units) % slotsPerUnit) * stayNights;
      return staffBooking(host, open.unitTypeId, dates[start]!, dates[start + stayNights]!, open.unitIds[index % units]);
    };
    log(`  POST /v1/bookings, no contention: each request its own unit and nights`);
    const openCounts = tally();
    const openRun = await runHttp(bookingLoad(url, host, openBody, openCounts), settings);
    const uncontended = httpMeasurement(
      'http.booking.uncontended',
      `POST /v1/bookings, no contention: each request its own unit of ${units} and its own ${stayNights} nights`,
      openRun.measured,
      { unit: 'bookings/s', counts: (status) => status === 201 },
    );
    if (nextOpen > units * slotsPerUnit) uncontended.problems.push(`${nextOpen} requests outran the ${units * slotsPerUnit} free stays`);
    result.measurements.push(uncontended);

    // (b) Contention: `contendedGroup` consecutive requests (about as many as are in flight at once)
    // ask for 1 to 3 nights in the same 5-night window of the small unit type, naming no unit;
    // the window moves on 2 nights for the next group, so neighbouring windows overlap too.
    const windows = Math.floor((horizonNights - 8) / windowStride);
    let nextBusy = 0;
    const busyBody = () => {
      const index = nextBusy++;
      const start = 1 + (Math.floor(index / contendedGroup) % windows) * windowStride + (index % 3);
      const nights = 1 + (Math.floor(index / 3) % 3);
      return staffBooking(host, busy.unitTypeId, dates[start]!, dates[start + nights]!);
    };
    log(`  POST /v1/bookings, contention: ${contendedGroup} at a time for overlapping nights of ${contendedUnits} units`);
    const busyCounts = tally();
    const busyRun = await runHttp(bookingLoad(url, host, busyBody, busyCounts), settings);
    const answered = (status: number) => status === 201 || status === 409;
    const contendedLabel = `${contendedGroup} at a time for overlapping nights of one unit type of ${contendedUnits} units`;
    result.measurements.push(
      httpMeasurement(
        'http.booking.contended',
        `POST /v1/bookings, contention (${contendedLabel}): every reply, 201 or 409`,
        busyRun.measured,
        {
          counts: answered,
        },
      ),
      httpMeasurement('http.booking.contended.created', 'POST /v1/bookings, contention: the 201s (bookings made)', busyRun.measured, {
        unit: 'bookings/s',
        counts: (status) => status === 201,
        expected: answered,
      }),
      httpMeasurement('http.booking.contended.refused', 'POST /v1/bookings, contention: the 409s (dates unavailable)', busyRun.measured, {
        counts: (status) => status === 409,
        expected: answered,
      }),
    );
    const refusedElsewhere = busyCounts.other409 + openCounts.other409;
    if (refusedElsewhere > 0) failures.push(`${refusedElsewhere} replies were 409 with another code than booking.dates_unavailable`);

    log('  checking in SQL: no two active occupancy rows overlap, and every 201 left one booking');
    const check = await checkDatabase(
      context,
      { open, busy },
      { open: { ...openRun, sent: nextOpen }, busy: { ...busyRun, sent: nextBusy } },
    );
    failures.push(...check.failures);

    result.notes.push(
      'Every request: `POST /v1/bookings` as the organization’s admin (staff), a fresh Idempotency-Key, a daily stay for an existing customer, ' +
        'guarantee pay_at_property, so a booking is approved and confirmed in its own request (one transaction: the quote, the cancellation policy, ' +
        'the booking, its occupancy, its events, audit entries and outbox events, the stored idempotent reply).',
      `No contention: request i books unit i mod ${units} (named in the body) for the next ${stayNights} nights that unit has free, so no two requests ever ask for the same unit and night.`,
      `Contention: ${contendedGroup} consecutive requests ask for 1 to 3 nights starting on one of the first 3 nights of the same window; ` +
        `the window moves on ${windowStride} nights every ${contendedGroup} requests, so neighbouring windows overlap as well. No unit is named: ` +
        `Tenure leaves out the type’s units it already sees taken and tries the others of its ${contendedUnits} in turn, each behind a savepoint; ` +
        'PostgreSQL’s exclusion constraint decides between requests in flight together. ' +
        'The first row counts both answers, the next two each on its own.',
      `Replies while measured, no contention: ${statusCounts(openRun.measured.statuses)}; contention: ${statusCounts(busyRun.measured.statuses)} ` +
        `(409 booking.dates_unavailable, warm-up included: ${busyCounts.datesUnavailable}; any other 409: ${busyCounts.other409 + openCounts.other409}).`,
      check.note,
    );
  });

  const clients = settings.connections;
  const pgbench = await runPgbench(context, {
    key: 'pgbench.tpcb.bookings',
    purpose: 'pgbench_bookings',
    scale: pgbenchScale,
    clients,
    threads: 2,
    seconds: settings.seconds,
    latencies: true,
  });
  result.measurements.push(pgbench);
  const version = await pgbenchVersion();
  if (version !== null) {
    result.notes.push(
      `${version}, run after the loads on a scratch database of the same server with as many clients (${clients}) as autocannon has connections, ` +
        `for as long as each load is measured; its p50 and p99 come from its per-transaction log (-l). Tenure’s server reaches PostgreSQL through its pool of ${settings.poolMax}.`,
    );
  }
  if (failures.length > 0) throw new Error(failures.join('; '));
};

/** A load's replies, and how many requests its load generator started (the warm-up's included). */
interface LoadOutcome {
  warmup: HttpRun;
  measured: HttpRun;
  sent: number;
}

/**
 * As the tables' owner, over every organization: pairs of active occupancy rows of one unit whose
 * nights overlap (the exclusion constraint allows none); and for each unit type, its bookings, all
 * confirmed, each with one active occupancy row, at least as many as 201 replies and at most as many
 * as requests sent. (A request still in flight when autocannon stops is not counted, but its booking
 * may well have been made.)
 */
async function checkDatabase(
  context: ScenarioContext,
  fixtures: { open: UnitTypeFixture; busy: UnitTypeFixture },
  outcomes: { open: LoadOutcome; busy: LoadOutcome },
): Promise<{ note: string; failures: string[] }> {
  const owner = createClient(context.database.url);
  await owner.connect();
  try {
    const overlaps = await owner.query<{ pairs: number; active: number }>(`
      SELECT
        (SELECT count(*)::int FROM occupancy a JOIN occupancy b
           ON a.unit_id = b.unit_id AND a.id < b.id AND a.nights && b.nights
         WHERE a.released_at IS NULL AND b.released_at IS NULL) AS pairs,
        (SELECT count(*)::int FROM occupancy WHERE released_at IS NULL) AS active`);
    const { pairs = -1, active = 0 } = overlaps.rows[0] ?? {};
    const failures: string[] = [];
    if (pairs !== 0) failures.push(`${pairs} pairs of active occupancy rows overlap`);
    const lines: string[] = [];
    for (const [name, fixture, outcome] of [
      ['no contention', fixtures.open, outcomes.open],
      ['contention', fixtures.busy, outcomes.busy],
    ] as const) {
      const { rows } = await owner.query<{ bookings: number; confirmed: number; occupied: number }>(
        `SELECT
           (SELECT count(*)::int FROM booking WHERE unit_type_id = $1) AS bookings,
           (SELECT count(*)::int FROM booking WHERE unit_type_id = $1 AND status = 'confirmed') AS confirmed,
           (SELECT count(*)::int FROM occupancy WHERE unit_id = ANY($2::uuid[]) AND released_at IS NULL) AS occupied`,
        [fixture.unitTypeId, fixture.unitIds],
      );
      const { bookings = -1, confirmed = -1, occupied = -1 } = rows[0] ?? {};
      const created = count(outcome.warmup, 201) + count(outcome.measured, 201);
      if (bookings !== confirmed || bookings !== occupied || bookings < created || bookings > outcome.sent)
        failures.push(
          `${name}: ${bookings} bookings (${confirmed} confirmed, ${occupied} active occupancy rows) for ${created} replies 201 of ${outcome.sent} requests sent`,
        );
      lines.push(
        `${name}, ${bookings} bookings, ${confirmed} confirmed, ${occupied} active rows, for ${created} replies 201 of ${outcome.sent} requests sent`,
      );
    }
    const note =
      `Checked in SQL afterwards, as the tables’ owner over every organization: ${pairs} pairs of active occupancy rows overlap (of ${active} active rows); ` +
      `${lines.join('; ')} (warm-up included; a request still in flight when autocannon stops is not counted, though its booking may be made).`;
    return { note, failures };
  } finally {
    await owner.end();
  }
}
