import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import type { BookingDetail, CancellationPreviewReply } from './schemas.ts';
import {
  activeOccupancyOf,
  addMember,
  approvedListing,
  auditActionsOf,
  book,
  createStay,
  day,
  eventTypesOf,
  expectStatus,
  type Host,
  hostedBookingsApp,
  type Http,
  http,
  newOrganization,
  newUser,
  platformAdmin,
  type Session,
  type Stay,
  switchTo,
  walkIn,
  walkInStay,
} from './test-support.ts';

let t: TestApp;
let api: Http;
let host: Host;
let moderator: Session;

beforeAll(async () => {
  ({ t, host } = await hostedBookingsApp('harbour'));
  api = http(t);
  moderator = await platformAdmin(t);
});
afterAll(() => t.close());

const act = (booking: { id: string }, step: string, session: Session, body?: object) =>
  api.post(`/v1/bookings/${booking.id}/${step}`, session, body);

async function step(booking: { id: string }, path: string, session: Session, body?: object): Promise<BookingDetail> {
  return expectStatus<BookingDetail>(await act(booking, path, session, body), 200);
}

async function customer(session: Session, body: object = walkIn()): Promise<string> {
  return expectStatus<{ id: string }>(await api.post('/v1/customers', session, body), 201).id;
}

describe('a daily stay booked at the front desk', () => {
  it('is confirmed at once, checked in, checked out (the unit becomes dirty) and completed, each step recorded', async () => {
    const stay = await createStay(t, host);
    const guest = walkIn();
    const booking = await book(t, host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(0),
      checkOut: day(2),
      adults: 2,
      customer: guest,
    });
    expect(booking).toMatchObject({
      status: 'confirmed',
      rentalMode: 'daily',
      guarantee: 'pay_at_property',
      source: 'front_desk',
      currency: 'EUR',
      totalAmount: 20_000,
      unitTypeId: stay.unitTypeId,
      unitId: stay.unitIds[0],
      ratePlanId: stay.ratePlanId,
      holdExpiresAt: null,
      deepLink: `/booking-confirmation/${booking.id}`,
    });
    expect(booking.reference).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(booking.priceBreakdown).toMatchObject({ rentalMode: 'daily', nights: 2, totals: { total: 20_000 } });
    expect(booking.cancellationPolicy).toMatchObject({ source: { preset: 'moderate' } });
    expect(booking.events.map((event) => [event.type, event.fromStatus, event.toStatus])).toEqual([
      ['created', null, 'pending'],
      ['approved', 'pending', 'approved'],
      ['confirmed', 'approved', 'confirmed'],
    ]);
    // The walk-in customer was made in the same transaction.
    const made = expectStatus<{
      firstName: string;
      email: string;
    }>(await api.get(`/v1/customers/${booking.customerId}`, host.admin), 200);
    expect(made).toMatchObject({ firstName: guest.firstName, email: guest.email });
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([
      { unitId: stay.unitIds[0], bookingId: booking.id, kind: 'booking', from: day(0), to: day(2) },
    ]);

    const checkedIn = await step(booking, 'check-in', host.admin);
    expect(checkedIn).toMatchObject({ status: 'checked_in', deepLink: `/booking-history/${booking.id}` });
    expect(checkedIn.checkedInAt).not.toBeNull();

    const checkedOut = await step(booking, 'check-out', host.admin);
    expect(checkedOut.status).toBe('checked_out');
    expect(checkedOut.events.at(-1)).toMatchObject({ type: 'checked_out', data: { early: true, occupiedUntil: day(0) } });
    const unit = expectStatus<{ housekeepingStatus: string }>(await api.get(`/v1/units/${stay.unitIds[0]}`, host.admin), 200);
    expect(unit.housekeepingStatus).toBe('dirty');
    // Leaving on the day of arrival frees every night.
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([]);

    const completed = await step(booking, 'complete', host.admin);
    expect(completed).toMatchObject({ status: 'completed', deepLink: `/booking-history/${booking.id}` });

    expect(await auditActionsOf(t, booking.id)).toEqual(['CREATE', 'APPROVE', 'CONFIRM', 'CHECK_IN', 'CHECK_OUT', 'STATUS_CHANGE']);
    expect(await eventTypesOf(t, booking.id)).toEqual([
      'booking.created',
      'booking.approved',
      'booking.confirmed',
      'booking.checked_in',
      'booking.checked_out',
      'booking.completed',
    ]);
    const audit = expectStatus<{ data: { action: string }[] }>(await api.get(`/v1/bookings/${booking.id}/audit`, host.admin), 200);
    expect(audit.data.map((entry) => entry.action)).toEqual(['STATUS_CHANGE', 'CHECK_OUT', 'CHECK_IN', 'CONFIRM', 'APPROVE', 'CREATE']);
  });

  it('keeps a unit with stays on record: deleting it answers 409, an unbooked unit is deleted', async () => {
    const stay = await createStay(t, host, { units: 2 });
    await book(t, host.admin, walkInStay(stay, day(3), day(5), { unitId: stay.unitIds[0] }));
    const remove = (unitId: string | undefined) =>
      t.app.inject({ method: 'DELETE', url: `/v1/units/${unitId ?? ''}`, headers: { authorization: `Bearer ${host.admin.accessToken}` } });
    const refused = await remove(stay.unitIds[0]);
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'inventory.unit_has_stays' });
    expectStatus(await api.get(`/v1/units/${stay.unitIds[0] ?? ''}`, host.admin), 200);
    expect((await remove(stay.unitIds[1])).statusCode).toBe(204);
  });

  it('an early check-out after the first night shortens the occupancy to end today', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const booking = await book(t, host.admin, walkInStay(stay, day(0), day(4)));
    await step(booking, 'check-in', host.admin);
    // The guest arrived yesterday: move the stay one day back, as if checked in then.
    await sql`UPDATE booking SET check_in = ${day(-1)}::date WHERE id = ${booking.id}`.execute(t.database.owner);
    await sql`UPDATE occupancy SET nights = daterange(${day(-1)}::date, ${day(4)}::date) WHERE booking_id = ${booking.id} AND released_at IS NULL`.execute(
      t.database.owner,
    );
    await step(booking, 'check-out', host.admin);
    expect(await activeOccupancyOf(t, stay.unitIds)).toEqual([
      { unitId: stay.unitIds[0], bookingId: booking.id, kind: 'booking', from: day(-1), to: day(0) },
    ]);
    // Tonight is free again.
    await book(t, host.admin, walkInStay(stay, day(0), day(1)));
  });

  it('assigns the next free unit of the type, and refuses with 409 when none is left', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const stayRequest = { rentalMode: 'daily', unitTypeId: stay.unitTypeId, checkIn: day(5), checkOut: day(7) };
    const first = await book(t, host.admin, { ...stayRequest, customer: walkIn() });
    const second = await book(t, host.admin, { ...stayRequest, customer: walkIn() });
    expect([first.unitId, second.unitId]).toEqual(stay.unitIds);
    const third = await api.post('/v1/bookings', host.admin, { ...stayRequest, customer: walkIn() });
    expect(third.statusCode).toBe(409);
    expect(third.json()).toMatchObject({ code: 'booking.dates_unavailable' });
  });

  it('refuses a stay in the past (the property’s today), too many guests, and a blacklisted customer', async () => {
    const stay = await createStay(t, host);
    const past = await api.post('/v1/bookings', host.admin, walkInStay(stay, day(-1), day(1)));
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: 'booking.date_in_past' });

    const crowded = await api.post('/v1/bookings', host.admin, walkInStay(stay, day(1), day(2), { adults: 2, children: 1 }));
    expect(crowded.json()).toMatchObject({ status: 422, code: 'booking.too_many_guests' });

    const banned = await customer(host.admin);
    expectStatus(await api.post(`/v1/customers/${banned}/blacklist`, host.admin, { reason: 'Damaged the room' }), 200);
    const refused = await api.post('/v1/bookings', host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(1),
      checkOut: day(2),
      customerId: banned,
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'booking.customer_blacklisted' });
  });

  it('leaves no customer behind when the booking of a walk-in fails', async () => {
    const stay = await createStay(t, host, { units: 1 });
    await book(t, host.admin, walkInStay(stay, day(3), day(5)));
    const guest = walkIn('Rui');
    const failed = await api.post('/v1/bookings', host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(4),
      checkOut: day(6),
      customer: guest,
    });
    expect(failed.statusCode).toBe(409);
    const { rows } = await sql<{ count: number }>`SELECT count(*)::int AS count FROM customer WHERE email = ${guest.email}`.execute(
      t.database.owner,
    );
    expect(rows[0]?.count).toBe(0);
  });

  it('checks in only from the check-in date and into a unit in service; a no-show frees the unit', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const later = await book(t, host.admin, walkInStay(stay, day(3), day(4)));
    const early = await act(later, 'check-in', host.admin);
    expect(early.json()).toMatchObject({ status: 409, code: 'booking.check_in_not_open' });
    const tooEarly = await act(later, 'no-show', host.admin);
    expect(tooEarly.json()).toMatchObject({ status: 409, code: 'booking.no_show_too_early' });

    const today = await book(t, host.admin, walkInStay(stay, day(0), day(1)));
    expectStatus(
      await api.post(`/v1/units/${stay.unitIds[0]}/operational-status`, host.admin, { status: 'out_of_order', note: 'Leak' }),
      200,
    );
    const broken = await act(today, 'check-in', host.admin);
    expect(broken.json()).toMatchObject({ status: 409, code: 'booking.unit_out_of_order' });
    expectStatus(await api.post(`/v1/units/${stay.unitIds[0]}/operational-status`, host.admin, { status: 'in_service' }), 200);

    const noShow = await step(today, 'no-show', host.admin);
    expect(noShow.status).toBe('no_show');
    expect((await activeOccupancyOf(t, stay.unitIds)).map((row) => row.bookingId)).toEqual([later.id]);
    expect(await auditActionsOf(t, today.id)).toEqual(['CREATE', 'APPROVE', 'CONFIRM', 'NO_SHOW']);
  });
});

describe('illegal transitions', () => {
  it('answer 409 booking.illegal_transition naming both statuses, and change nothing', async () => {
    const stay = await createStay(t, host);
    const booking = await book(t, host.admin, walkInStay(stay, day(8), day(9)));
    for (const [path, target] of [
      ['approve', 'approved'],
      ['decline', 'declined'],
      ['confirm', 'confirmed'],
      ['check-out', 'checked_out'],
      ['complete', 'completed'],
    ] as const) {
      const reply = await act(booking, path, host.admin);
      expect(reply.statusCode, path).toBe(409);
      const problem = reply.json<{ code: string; detail: string }>();
      expect(problem.code).toBe('booking.illegal_transition');
      expect(problem.detail).toContain('confirmed');
      expect(problem.detail).toContain(target);
    }
    await step(booking, 'cancel', host.admin);
    for (const path of ['cancel', 'approve', 'check-in', 'no-show']) {
      expect((await act(booking, path, host.admin)).json(), path).toMatchObject({ status: 409, code: 'booking.illegal_transition' });
    }
    const after = expectStatus<BookingDetail>(await api.get(`/v1/bookings/${booking.id}`, host.admin), 200);
    expect(after.status).toBe('cancelled');
    expect(await auditActionsOf(t, booking.id)).toEqual(['CREATE', 'APPROVE', 'CONFIRM', 'CANCEL']);
  });
});

describe('marketplace bookings', () => {
  let stay: Stay;
  let requestListing: string;
  let instantListing: string;

  beforeAll(async () => {
    stay = await createStay(t, host, { units: 3 });
    requestListing = await approvedListing(t, host, moderator, stay, { title: 'By request', autoAccept: { daily: false } });
    instantListing = await approvedListing(t, host, moderator, stay, { title: 'Instant', autoAccept: { daily: true } });
  });

  it('a request holds the unit until the host approves it, then for the payment; staff record the guarantee', async () => {
    const seeker = await newUser(t.app, 'seeker');
    const before = Date.now();
    const requested = await book(t, seeker, {
      rentalMode: 'daily',
      listingId: requestListing,
      checkIn: day(10),
      checkOut: day(13),
      adults: 2,
    });
    expect(requested).toMatchObject({
      status: 'pending',
      guarantee: 'online_payment',
      source: 'marketplace',
      listingId: requestListing,
      totalAmount: 30_000,
      deepLink: `/booking/requested/${requested.id}`,
    });
    const hold = new Date(requested.holdExpiresAt!).getTime() - before;
    expect(hold).toBeGreaterThan(23.9 * 3_600_000);
    expect(hold).toBeLessThan(24.1 * 3_600_000);
    expect((await activeOccupancyOf(t, stay.unitIds)).find((row) => row.bookingId === requested.id)).toMatchObject({ kind: 'hold' });

    const approved = await step(requested, 'approve', host.admin, { note: 'Welcome!' });
    expect(approved).toMatchObject({ status: 'approved', approvalNote: 'Welcome!' });
    expect(approved.holdExpiresAt).not.toBeNull();
    expect((await activeOccupancyOf(t, stay.unitIds)).find((row) => row.bookingId === requested.id)).toMatchObject({ kind: 'hold' });

    const confirmed = await step(requested, 'confirm', host.admin);
    expect(confirmed).toMatchObject({ status: 'confirmed', holdExpiresAt: null, deepLink: `/booking-confirmation/${requested.id}` });
    expect((await activeOccupancyOf(t, stay.unitIds)).find((row) => row.bookingId === requested.id)).toMatchObject({ kind: 'booking' });
    expect(await eventTypesOf(t, requested.id)).toEqual(['booking.created', 'booking.approved', 'booking.confirmed']);

    // The seeker is now a customer of the organization: they see and cancel their own booking.
    const asCustomer = await switchTo(t, seeker, host.orgId);
    const mine = expectStatus<{ data: { id: string }[] }>(await api.get('/v1/bookings?role=seeker', asCustomer), 200);
    expect(mine.data.map((booking) => booking.id)).toEqual([requested.id]);
    const theirs = expectStatus<{ data: { id: string }[] }>(await api.get('/v1/bookings', asCustomer), 200);
    expect(theirs.data.map((booking) => booking.id)).toEqual([requested.id]);
    const preview = expectStatus<CancellationPreviewReply>(
      await api.get(`/v1/bookings/${requested.id}/cancellation-preview`, asCustomer),
      200,
    );
    expect(preview).toMatchObject({ refund: 30_000, penalty: 0 });
    const cancelled = await step(requested, 'cancel', asCustomer, { note: 'Plans changed' });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancellationReason: 'customer_request', refundAmount: 30_000 });
  });

  it('an instant booking paid online is approved at once and holds the unit for the payment only', async () => {
    const seeker = await newUser(t.app, 'instant');
    const before = Date.now();
    const booking = await book(t, seeker, { rentalMode: 'daily', listingId: instantListing, checkIn: day(20), checkOut: day(21) });
    expect(booking).toMatchObject({ status: 'approved', guarantee: 'online_payment', deepLink: `/booking-history/${booking.id}` });
    const hold = new Date(booking.holdExpiresAt!).getTime() - before;
    expect(hold).toBeGreaterThan(14 * 60_000);
    expect(hold).toBeLessThan(16 * 60_000);
  });

  it('refuses fields only staff set, a listing not approved, and a declined request frees the unit', async () => {
    const seeker = await newUser(t.app, 'pushy');
    const pushy = await api.post('/v1/bookings', seeker, {
      rentalMode: 'daily',
      listingId: requestListing,
      checkIn: day(30),
      checkOut: day(31),
      guarantee: 'pay_at_property',
    });
    expect(pushy.json()).toMatchObject({ status: 403, code: 'booking.staff_only' });
    const direct = await api.post('/v1/bookings', seeker, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(30),
      checkOut: day(31),
    });
    expect(direct.json()).toMatchObject({ status: 403, code: 'booking.staff_only' });
    const draft = expectStatus<{ id: string }>(
      await api.post('/v1/listings', host.admin, {
        propertyId: stay.propertyId,
        unitTypeId: stay.unitTypeId,
        title: 'Draft',
        rentalModes: ['daily'],
      }),
      201,
    );
    const hidden = await api.post('/v1/bookings', seeker, {
      rentalMode: 'daily',
      listingId: draft.id,
      checkIn: day(30),
      checkOut: day(31),
    });
    expect(hidden.json()).toMatchObject({ status: 404, code: 'booking.listing_not_found' });

    const requested = await book(t, seeker, { rentalMode: 'daily', listingId: requestListing, checkIn: day(30), checkOut: day(31) });
    const declined = await step(requested, 'decline', host.admin, { reason: 'Closed for a private event' });
    expect(declined).toMatchObject({ status: 'declined', declineReason: 'Closed for a private event' });
    expect((await activeOccupancyOf(t, stay.unitIds)).some((row) => row.bookingId === requested.id)).toBe(false);
    expect(await auditActionsOf(t, requested.id)).toEqual(['CREATE', 'STATUS_CHANGE']);
  });

  it('quotes an approved listing for anyone, a unit type for staff only', async () => {
    const anonymous = await api.post('/v1/quotes', undefined, {
      rentalMode: 'daily',
      listingId: instantListing,
      checkIn: day(40),
      checkOut: day(43),
    });
    expect(anonymous.statusCode, anonymous.body).toBe(200);
    expect(anonymous.json()).toMatchObject({ rentalMode: 'daily', nights: 3, currency: 'EUR', totals: { total: 30_000 } });
    const unitType = await api.post('/v1/quotes', undefined, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(40),
      checkOut: day(43),
    });
    expect(unitType.json()).toMatchObject({ status: 403, code: 'booking.staff_only' });
    const staff = await api.post('/v1/quotes', host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(40),
      checkOut: day(41),
    });
    expect(staff.json()).toMatchObject({ totals: { total: 10_000 } });
    const monthly = await api.post('/v1/quotes', undefined, {
      rentalMode: 'monthly',
      listingId: instantListing,
      startDate: day(40),
      months: 2,
    });
    expect(monthly.statusCode, monthly.body).toBe(200);
    expect(monthly.json()).toMatchObject({ rentalMode: 'monthly', months: 2 });
  });
});

describe('monthly stays and leases', () => {
  it('a monthly stay starts on the 1st of its month and runs its months; a lease occupies its unit as a lease', async () => {
    const stay = await createStay(t, host, { units: 3 });
    const listingId = await approvedListing(t, host, moderator, stay, { title: 'Long stays', monthlyMinStayMonths: 2 });
    const customerId = await customer(host.admin);
    const start = day(40).slice(0, 7);
    const quoted = expectStatus<{ checkIn: string; checkOut: string; totals: { total: number } }>(
      await api.post('/v1/quotes', host.admin, { rentalMode: 'monthly', listingId, startMonth: start, months: 3 }),
      200,
    );
    const monthly = await book(t, host.admin, {
      rentalMode: 'monthly',
      listingId,
      startMonth: start,
      months: 3,
      autoRenew: true,
      customerId,
    });
    expect(monthly).toMatchObject({
      status: 'confirmed',
      rentalMode: 'monthly',
      months: 3,
      autoRenew: true,
      checkIn: `${start}-01`,
      checkOut: quoted.checkOut,
      totalAmount: quoted.totals.total,
    });
    const tooShort = await api.post('/v1/bookings', host.admin, {
      rentalMode: 'monthly',
      listingId,
      startMonth: start,
      months: 1,
      customerId,
    });
    expect(tooShort.json()).toMatchObject({ status: 422, code: 'booking.term_out_of_range' });

    const lease = await book(t, host.admin, { rentalMode: 'lease', listingId, startDate: day(10), termMonths: 12, customerId });
    expect(lease).toMatchObject({ status: 'confirmed', rentalMode: 'lease', leaseTermMonths: 12, checkIn: day(10) });
    expect(lease.priceBreakdown.lines.some((line) => line.kind === 'deposit')).toBe(true);
    const rows = await activeOccupancyOf(t, stay.unitIds);
    expect(rows.find((row) => row.bookingId === lease.id)).toMatchObject({ kind: 'lease', from: day(10), to: lease.checkOut });
    expect(rows.find((row) => row.bookingId === monthly.id)).toMatchObject({ kind: 'booking' });

    // A marketplace lease is a request (no auto-accept for leases by default).
    const seeker = await newUser(t.app, 'tenant');
    const requested = await book(t, seeker, { rentalMode: 'lease', listingId, startDate: day(60), termMonths: 6 });
    expect(requested).toMatchObject({ status: 'pending', leaseTermMonths: 6 });
    const approved = await step(requested, 'approve', host.admin);
    expect(approved.status).toBe('approved');
    const confirmed = await step(requested, 'confirm', host.admin);
    expect(confirmed.status).toBe('confirmed');
    expect((await activeOccupancyOf(t, stay.unitIds)).find((row) => row.bookingId === requested.id)).toMatchObject({ kind: 'lease' });
  });
});

describe('cancellation under the policy the booking was sold with', () => {
  it('previews and stores the refund of each preset', async () => {
    const stay = await createStay(t, host, { units: 4, cleaningFee: 3_000 });
    const listing = async (preset: string) => approvedListing(t, host, moderator, stay, { title: preset, cancellation: { preset } });
    const cases = [
      { preset: 'flexible', checkIn: day(5), refund: 23_000 },
      // Ten days ahead: past firm's 30-day window, inside its 7-day one: half the nights, all the fees.
      { preset: 'firm', checkIn: day(10), refund: 13_000 },
      { preset: 'moderate', checkIn: day(2), refund: 0 },
      { preset: 'non_refundable', checkIn: day(40), refund: 0 },
    ];
    for (const [index, { preset, checkIn, refund }] of cases.entries()) {
      const listingId = await listing(preset);
      const booking = await book(t, host.admin, {
        rentalMode: 'daily',
        listingId,
        unitId: stay.unitIds[index],
        checkIn,
        checkOut: new Date(Date.parse(checkIn) + 2 * 86_400_000).toISOString().slice(0, 10),
        customer: walkIn(),
      });
      expect(booking.totalAmount, preset).toBe(23_000);
      const preview = expectStatus<CancellationPreviewReply>(
        await api.get(`/v1/bookings/${booking.id}/cancellation-preview`, host.admin),
        200,
      );
      expect(preview, preset).toMatchObject({
        total: 23_000,
        refund,
        penalty: 23_000 - refund,
        currency: 'EUR',
        policy: { source: { preset } },
      });
      const cancelled = await step(booking, 'cancel', host.admin, { reason: 'owner', note: 'Renovation' });
      expect(cancelled, preset).toMatchObject({
        status: 'cancelled',
        refundAmount: refund,
        cancellationReason: 'owner',
        cancellationNote: 'Renovation',
      });
      expect(cancelled.events.at(-1)).toMatchObject({ type: 'cancelled', data: { refundAmount: refund, penalty: 23_000 - refund } });
      const after = await api.get(`/v1/bookings/${booking.id}/cancellation-preview`, host.admin);
      expect(after.json()).toMatchObject({ status: 409, code: 'booking.illegal_transition' });
    }
  });
});

describe('changing a booking', () => {
  it('changes dates (priced again, checked against the unit), refuses stale versions and taken nights', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const booking = await book(t, host.admin, walkInStay(stay, day(20), day(22)));
    const other = await book(t, host.admin, walkInStay(stay, day(25), day(27)));

    const longer = expectStatus<BookingDetail>(
      await api.patch(`/v1/bookings/${booking.id}`, host.admin, { checkOut: day(23), version: booking.version }),
      200,
    );
    expect(longer).toMatchObject({ checkOut: day(23), totalAmount: 30_000, version: booking.version + 1 });
    expect(longer.events.at(-1)).toMatchObject({ type: 'changed', data: { changes: { checkOut: { from: day(22), to: day(23) } } } });

    const stale = await api.patch(`/v1/bookings/${booking.id}`, host.admin, { checkOut: day(24), version: booking.version });
    expect(stale.json()).toMatchObject({ status: 409, code: 'booking.version_conflict' });

    const taken = await api.patch(`/v1/bookings/${booking.id}`, host.admin, { checkOut: day(26) });
    expect(taken.json()).toMatchObject({ status: 409, code: 'booking.dates_unavailable' });
    expect((await activeOccupancyOf(t, stay.unitIds)).map((row) => [row.bookingId, row.from, row.to])).toEqual([
      [booking.id, day(20), day(23)],
      [other.id, day(25), day(27)],
    ]);
    const guests = expectStatus<BookingDetail>(await api.patch(`/v1/bookings/${booking.id}`, host.admin, { adults: 2 }), 200);
    expect(guests.adults).toBe(2);
    expect(await auditActionsOf(t, booking.id)).toEqual(['CREATE', 'APPROVE', 'CONFIRM', 'UPDATE', 'UPDATE']);
    expect(await eventTypesOf(t, booking.id)).toContain('booking.changed');
  });

  it('moves a booking to another unit of its type, or of another type when named, priced again', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const suiteType = expectStatus<{ id: string }>(
      await api.post(`/v1/properties/${stay.propertyId}/unit-types`, host.admin, {
        name: 'Suite',
        code: 'STE',
        maxOccupancy: 4,
        maxAdults: 4,
      }),
      201,
    );
    const suite = expectStatus<{ id: string }>(
      await api.post(`/v1/properties/${stay.propertyId}/units`, host.admin, { unitTypeId: suiteType.id, name: 'S1' }),
      201,
    );
    expectStatus(
      await api.post(`/v1/unit-types/${suiteType.id}/rate-plans`, host.admin, {
        name: 'Suite rate',
        code: 'BAR',
        currency: 'EUR',
        basePrice: 25_000,
      }),
      201,
    );
    const booking = await book(t, host.admin, walkInStay(stay, day(12), day(14)));
    expect(booking.unitId).toBe(stay.unitIds[0]);

    const sameType = expectStatus<BookingDetail>(
      await api.post(`/v1/bookings/${booking.id}/move`, host.admin, { unitId: stay.unitIds[1] }),
      200,
    );
    expect(sameType).toMatchObject({ unitId: stay.unitIds[1], totalAmount: 20_000 });

    const unnamed = await api.post(`/v1/bookings/${booking.id}/move`, host.admin, { unitId: suite.id });
    expect(unnamed.json()).toMatchObject({ status: 422, code: 'booking.unit_mismatch' });

    const upgraded = expectStatus<BookingDetail>(
      await api.post(`/v1/bookings/${booking.id}/move`, host.admin, { unitId: suite.id, unitTypeId: suiteType.id }),
      200,
    );
    expect(upgraded).toMatchObject({ unitId: suite.id, unitTypeId: suiteType.id, totalAmount: 50_000 });
    expect(upgraded.events.at(-1)).toMatchObject({ type: 'moved', data: { toUnitId: suite.id, repriced: true } });
    expect(await activeOccupancyOf(t, [...stay.unitIds, suite.id])).toEqual([
      { unitId: suite.id, bookingId: booking.id, kind: 'booking', from: day(12), to: day(14) },
    ]);
    expect(await eventTypesOf(t, booking.id)).toEqual([
      'booking.created',
      'booking.approved',
      'booking.confirmed',
      'booking.moved',
      'booking.moved',
    ]);
    expect(await auditActionsOf(t, booking.id)).toEqual(['CREATE', 'APPROVE', 'CONFIRM', 'UPDATE', 'UPDATE']);
  });
});

describe('reading bookings', () => {
  it('lists within the caller’s scope, shows a customer’s stay history, and hides another organization’s', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const customerId = await customer(host.admin);
    const first = await book(t, host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(50),
      checkOut: day(52),
      customerId,
    });
    const second = await book(t, host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(60),
      checkOut: day(61),
      customerId,
    });
    await step(second, 'cancel', host.admin);

    const history = expectStatus<{
      data: { id: string }[];
      total: number;
    }>(await api.get(`/v1/customers/${customerId}/bookings`, host.admin), 200);
    expect(history).toMatchObject({ total: 2 });
    expect(history.data.map((booking) => booking.id)).toEqual([second.id, first.id]);

    const filtered = expectStatus<{ data: { id: string }[] }>(
      await api.get(`/v1/bookings?status=confirmed&propertyId=${stay.propertyId}&from=${day(49)}&to=${day(51)}`, host.admin),
      200,
    );
    expect(filtered.data.map((booking) => booking.id)).toEqual([first.id]);

    const viewer = await addMember(t, host.admin, host.orgId, 'viewer');
    expect((await api.get(`/v1/bookings/${first.id}`, viewer)).statusCode).toBe(200);
    expect((await act(first, 'cancel', viewer)).json()).toMatchObject({ status: 403, code: 'access.denied' });

    const rival = await newOrganization(t, 'rival');
    for (const url of [`/v1/bookings/${first.id}`, `/v1/bookings/${first.id}/audit`, `/v1/customers/${customerId}/bookings`]) {
      expect((await api.get(url, rival.admin)).statusCode, url).toBe(404);
    }
    expect((await act(first, 'cancel', rival.admin)).statusCode).toBe(404);
    expect(expectStatus<{ total: number }>(await api.get('/v1/bookings', rival.admin), 200).total).toBe(0);

    // An owner member sees their own properties' bookings only.
    const owner = await addMember(t, host.admin, host.orgId, 'owner');
    const ownStay = await createStay(t, host, { units: 1, ownerUserId: owner.userId });
    const ownBooking = await book(t, host.admin, {
      rentalMode: 'daily',
      unitTypeId: ownStay.unitTypeId,
      checkIn: day(50),
      checkOut: day(51),
      customerId,
    });
    const owned = expectStatus<{ data: { id: string }[] }>(await api.get('/v1/bookings', owner), 200);
    expect(owned.data.map((booking) => booking.id)).toEqual([ownBooking.id]);
    expect((await api.get(`/v1/bookings/${first.id}`, owner)).statusCode).toBe(404);
    const ownHistory = expectStatus<{ data: { id: string }[] }>(await api.get(`/v1/customers/${customerId}/bookings`, owner), 200);
    expect(ownHistory.data.map((booking) => booking.id)).toEqual([ownBooking.id]);

    const customerMember = await addMember(t, host.admin, host.orgId, 'customer', 'stranger');
    expect((await api.get(`/v1/bookings/${first.id}`, customerMember)).statusCode).toBe(404);
    expect(expectStatus<{ total: number }>(await api.get('/v1/bookings', customerMember), 200).total).toBe(0);
    expect((await act(first, 'cancel', customerMember)).statusCode).toBe(404);
  });

  it('an idempotent POST /v1/bookings books once', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const body = walkInStay(stay, day(70), day(71));
    const send = (key: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/bookings',
        headers: { authorization: `Bearer ${host.admin.accessToken}`, 'idempotency-key': key },
        payload: body,
      });
    const first = await send('booking-one');
    const replay = await send('booking-one');
    expect(first.statusCode).toBe(201);
    expect(replay.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
    expect((await send('booking-two')).statusCode).toBe(201);
    expect(await activeOccupancyOf(t, stay.unitIds)).toHaveLength(2);
  });
});
