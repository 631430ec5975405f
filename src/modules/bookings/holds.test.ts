import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expireHolds, holdExpiryJob } from './holds.ts';
import type { BookingDetail } from './schemas.ts';
import {
  activeOccupancyOf,
  auditActionsOf,
  book,
  createStay,
  day,
  eventTypesOf,
  expectStatus,
  heldBooking,
  type Host,
  hostedBookingsApp,
  http,
  lapseHold,
  newOrganization,
  type Session,
  walkInStay,
} from './test-support.ts';

/** Holds: an approved booking waiting for its online payment holds its unit until its hold expires. */
let t: TestApp;
let host: Host;

beforeAll(async () => {
  ({ t, host } = await hostedBookingsApp('holding'));
});
afterAll(() => t.close());

const read = async (session: Session, bookingId: string) =>
  expectStatus<BookingDetail>(await http(t).get(`/v1/bookings/${bookingId}`, session), 200);

describe('holds', () => {
  it('an approved booking paid online holds its unit, for BOOKING_HOLD_MINUTES', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const held = await heldBooking(t, host.admin, stay, day(3), day(5));
    expect(held).toMatchObject({ status: 'approved', guarantee: 'online_payment' });
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([
      { unitId: stay.unitIds[0], bookingId: held.id, kind: 'hold', from: day(3), to: day(5) },
    ]);
    const taken = await http(t).post('/v1/bookings', host.admin, walkInStay(stay, day(4), day(6)));
    expect(taken.json()).toMatchObject({ status: 409, code: 'booking.dates_unavailable' });
  });

  it('an expired hold never blocks: the next booking takes the nights and the held booking ends cancelled (timeout)', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const held = await heldBooking(t, host.admin, stay, day(3), day(5));
    await lapseHold(t, held.id);
    const next = await book(t, host.admin, walkInStay(stay, day(4), day(6)));
    expect(next.status).toBe('confirmed');
    const expired = await read(host.admin, held.id);
    expect(expired).toMatchObject({ status: 'cancelled', cancellationReason: 'timeout', holdExpiresAt: null });
    expect(expired.events.at(-1)).toMatchObject({
      type: 'cancelled',
      fromStatus: 'approved',
      toStatus: 'cancelled',
      actorType: 'system',
      data: { reason: 'timeout' },
    });
    expect(await eventTypesOf(t, held.id)).toEqual(['booking.created', 'booking.approved', 'booking.cancelled']);
    expect(await auditActionsOf(t, held.id)).toEqual(['CREATE', 'APPROVE', 'CANCEL']);
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([
      { unitId: stay.unitIds[0], bookingId: next.id, kind: 'booking', from: day(4), to: day(6) },
    ]);
  });

  it('a lapsed hold nobody took is still confirmed by its payment (or staff)', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const held = await heldBooking(t, host.admin, stay, day(8), day(9));
    await lapseHold(t, held.id);
    const confirmed = expectStatus<BookingDetail>(await http(t).post(`/v1/bookings/${held.id}/confirm`, host.admin), 200);
    expect(confirmed).toMatchObject({ status: 'confirmed', holdExpiresAt: null });
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([
      { unitId: stay.unitIds[0], bookingId: held.id, kind: 'booking', from: day(8), to: day(9) },
    ]);
  });

  it('the job releases every expired hold, in every organization, and cancels their bookings; live holds stay', async () => {
    const other = await newOrganization(t, 'elsewhere');
    const stay = await createStay(t, host, { units: 2 });
    const elsewhere = await createStay(t, other, { units: 1 });
    const lapsed = await heldBooking(t, host.admin, stay, day(3), day(4));
    const live = await heldBooking(t, host.admin, stay, day(3), day(4));
    const lapsedElsewhere = await heldBooking(t, other.admin, elsewhere, day(3), day(4));
    await lapseHold(t, lapsed.id);
    await lapseHold(t, lapsedElsewhere.id);

    const { cancelled, organizations } = await expireHolds(t.database.db);
    expect(organizations).toBe(2);
    expect(cancelled.sort()).toEqual([lapsed.id, lapsedElsewhere.id].sort());
    expect(await read(host.admin, lapsed.id)).toMatchObject({ status: 'cancelled', cancellationReason: 'timeout' });
    expect(await read(other.admin, lapsedElsewhere.id)).toMatchObject({ status: 'cancelled', cancellationReason: 'timeout' });
    expect(await read(host.admin, live.id)).toMatchObject({ status: 'approved' });
    expect((await activeOccupancyOf(t, [...stay.unitIds, ...elsewhere.unitIds])).map((row) => row.bookingId)).toEqual([live.id]);

    // Run again: nothing left to do.
    expect(await expireHolds(t.database.db)).toEqual({ organizations: 0, cancelled: [] });
    await holdExpiryJob.handle({}, { db: t.database.db, logger: pino({ level: 'silent' }), config: t.config });
    expect(holdExpiryJob).toMatchObject({ name: 'bookings.holds.expire.v1', schedule: '* * * * *' });
  });

  it('the application role cannot read across organizations: only the definer function names where holds expired', async () => {
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM booking`.execute(t.database.db);
    expect(rows[0]?.count).toBe(0);
    const { rows: found } = await sql<{
      orgId: string;
    }>`SELECT org_id FROM bookings_hold_expiry_organizations(now() + interval '1 day')`.execute(t.database.db);
    // Live holds of earlier tests expire within a day: their organization is named, and only its id.
    expect(found.map((row) => row.orgId)).toContain(host.orgId);
    expect(Object.keys(found[0] ?? {})).toEqual(['orgId']);
  });
});
