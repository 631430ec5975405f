import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import type { ListingAvailabilityReply, UnitTypeAvailabilityReply } from './availability-routes.ts';
import type { Block } from './availability.ts';
import type { BookingDetail } from './schemas.ts';
import {
  addMember,
  approvedListing,
  book,
  createStay,
  day,
  expectStatus,
  heldBooking,
  type Host,
  hostedBookingsApp,
  http,
  lapseHold,
  newOrganization,
  platformAdmin,
  type Session,
  type Stay,
  walkInStay,
} from './test-support.ts';

/** The availability grid of listings and unit types, and blocks, through the real application. */

let t: TestApp;
let host: Host;
let rival: { orgId: string; admin: Session };
let viewer: Session;
let maintenance: Session;
let moderator: Session;

beforeAll(async () => {
  ({ t, host } = await hostedBookingsApp('grid'));
  rival = await newOrganization(t, 'rival');
  viewer = await addMember(t, host.admin, host.orgId, 'viewer');
  maintenance = await addMember(t, host.admin, host.orgId, 'maintenance');
  moderator = await platformAdmin(t);
});
afterAll(() => t.close());

const gridOf = async (listingId: string, from: string, to: string, session?: Session) =>
  expectStatus<ListingAvailabilityReply>(await http(t).get(`/v1/listings/${listingId}/availability?from=${from}&to=${to}`, session), 200);

const countsOf = async (unitTypeId: string, from: string, to: string, session: Session = host.admin, extra = '') =>
  expectStatus<UnitTypeAvailabilityReply>(
    await http(t).get(`/v1/unit-types/${unitTypeId}/availability?from=${from}&to=${to}${extra}`, session),
    200,
  );

/** A confirmed stay (paid at the property), taken by staff. */
const confirmed = (stay: Stay, checkIn: string, checkOut: string) => book(t, host.admin, walkInStay(stay, checkIn, checkOut));

const blockOn = (session: Session, unitId: string, body: object) => http(t).post(`/v1/units/${unitId}/blocks`, session, body);

const remove = (session: Session, blockId: string) =>
  t.app.inject({ method: 'DELETE', url: `/v1/blocks/${blockId}`, headers: { authorization: `Bearer ${session.accessToken}` } });

describe('a listing’s availability', () => {
  it('is public once approved: each night’s free units of the type, status, price and restrictions', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const listingId = await approvedListing(t, host, moderator, stay);
    expectStatus(
      await t.app.inject({
        method: 'PUT',
        url: `/v1/rate-plans/${stay.ratePlanId}/nights`,
        headers: { authorization: `Bearer ${host.admin.accessToken}` },
        payload: { from: day(13), to: day(14), price: 12_500, minStay: 2, closedToArrival: true },
      }),
      200,
    );
    await confirmed(stay, day(11), day(13));
    const lapsing = await heldBooking(t, host.admin, stay, day(12), day(14));

    const grid = await gridOf(listingId, day(10), day(15));
    expect(grid).toMatchObject({ listingId, unitTypeId: stay.unitTypeId, unitId: null, from: day(10), to: day(15) });
    expect(grid.nights.map(({ date, status, available, total }) => ({ date, status, available, total }))).toEqual([
      { date: day(10), status: 'available', available: 2, total: 2 },
      { date: day(11), status: 'available', available: 1, total: 2 },
      // One unit booked, the other held: none free, and the hold may still lapse.
      { date: day(12), status: 'held', available: 0, total: 2 },
      { date: day(13), status: 'available', available: 1, total: 2 },
      { date: day(14), status: 'available', available: 2, total: 2 },
    ]);
    expect(grid.nights[0]).toMatchObject({
      price: { amount: 10_000, currency: 'EUR' },
      minStay: null,
      closedToArrival: false,
      stopSell: false,
    });
    expect(grid.nights[3]).toMatchObject({ price: { amount: 12_500, currency: 'EUR' }, minStay: 2, closedToArrival: true });

    // An expired hold counts as available at once, before the clean-up job releases it.
    await lapseHold(t, lapsing.id);
    expect((await gridOf(listingId, day(12), day(13))).nights[0]).toMatchObject({ status: 'available', available: 1 });

    await confirmed(stay, day(12), day(13));
    expect((await gridOf(listingId, day(12), day(13))).nights[0]).toMatchObject({ status: 'booked', available: 0 });
  });

  it('of one unit: that unit’s nights', async () => {
    const stay = await createStay(t, host, { units: 2 });
    const [first, second] = stay.unitIds as [string, string];
    const listingId = await approvedListing(t, host, moderator, stay, { unitId: second });
    const onUnit = (unitId: string, checkIn: string, checkOut: string) =>
      book(t, host.admin, walkInStay(stay, checkIn, checkOut, { unitId }));
    await onUnit(first, day(20), day(23));
    await onUnit(second, day(21), day(22));
    const grid = await gridOf(listingId, day(20), day(23));
    expect(grid.unitId).toBe(second);
    expect(grid.nights.map(({ status, available, total }) => `${status} ${available}/${total}`)).toEqual([
      'available 1/1',
      'booked 0/1',
      'available 1/1',
    ]);
  });

  it('defaults to 30 nights from today in the property’s time zone, and refuses a backwards or too long range', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const listingId = await approvedListing(t, host, moderator, stay);
    const grid = expectStatus<ListingAvailabilityReply>(await http(t).get(`/v1/listings/${listingId}/availability`), 200);
    expect(grid).toMatchObject({ from: day(0), to: day(30) });
    expect(grid.nights).toHaveLength(30);
    expect((await gridOf(listingId, day(0), day(366))).nights).toHaveLength(366);
    for (const query of [`from=${day(5)}&to=${day(5)}`, `from=${day(5)}&to=${day(4)}`, `from=${day(0)}&to=${day(367)}`]) {
      const refused = await http(t).get(`/v1/listings/${listingId}/availability?${query}`);
      expect(refused.json(), query).toMatchObject({ status: 422, code: 'availability.invalid_range' });
    }
    expect((await http(t).get(`/v1/listings/${listingId}/availability?from=2030-02-30`)).statusCode).toBe(400);
  });

  it('of a draft: 404 to the public and to another organization, shown to its own staff', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const created = await http(t).post('/v1/listings', host.admin, {
      propertyId: stay.propertyId,
      unitTypeId: stay.unitTypeId,
      title: 'Not yet published',
      rentalModes: ['daily'],
    });
    const { id } = expectStatus<{ id: string }>(created, 201);
    const url = `/v1/listings/${id}/availability?from=${day(1)}&to=${day(3)}`;
    expect((await http(t).get(url)).json()).toMatchObject({ status: 404, code: 'availability.listing_not_found' });
    expect((await http(t).get(url, rival.admin)).json()).toMatchObject({ status: 404, code: 'availability.listing_not_found' });
    expect((await gridOf(id, day(1), day(3), host.admin)).nights).toHaveLength(2);
    expect((await gridOf(id, day(1), day(3), viewer)).nights).toHaveLength(2);
  });
});

describe('a unit type’s availability', () => {
  it('counts the units available, held, booked and blocked each night; a unit out of order is blocked', async () => {
    const stay = await createStay(t, host, { units: 3 });
    await confirmed(stay, day(5), day(7));
    await heldBooking(t, host.admin, stay, day(6), day(7));
    expectStatus(
      await http(t).post(`/v1/units/${stay.unitIds[2]}/operational-status`, host.admin, { status: 'out_of_order', note: 'Leaking pipe' }),
      200,
    );
    const counts = await countsOf(stay.unitTypeId, day(5), day(8), viewer, '&units=true');
    expect(counts.nights).toEqual([
      { night: day(5), total: 3, available: 1, held: 0, booked: 1, blocked: 1 },
      { night: day(6), total: 3, available: 0, held: 1, booked: 1, blocked: 1 },
      { night: day(7), total: 3, available: 2, held: 0, booked: 0, blocked: 1 },
    ]);
    expect(counts.units?.find((unit) => unit.id === stay.unitIds[2])).toMatchObject({
      operationalStatus: 'out_of_order',
      statuses: ['blocked', 'blocked', 'blocked'],
    });
    expect(counts.units?.map((unit) => unit.statuses[1]).sort()).toEqual(['blocked', 'booked', 'held']);
  });

  it('answers 404 to another organization and to an owner member who does not own the property', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const url = `/v1/unit-types/${stay.unitTypeId}/availability`;
    expect((await http(t).get(url, rival.admin)).json()).toMatchObject({ status: 404, code: 'availability.unit_type_not_found' });
    const owner = await addMember(t, host.admin, host.orgId, 'owner');
    expect((await http(t).get(url, owner)).json()).toMatchObject({ status: 404, code: 'availability.unit_type_not_found' });
    expect((await http(t).get(url)).statusCode).toBe(401);
  });
});

describe('blocks', () => {
  it('maintenance blocks a unit’s nights; the grid shows them blocked, the list shows the block; releasing frees them', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const listingId = await approvedListing(t, host, moderator, stay);
    const [unitId] = stay.unitIds as [string];
    const created = await blockOn(maintenance, unitId, { from: day(3), to: day(5), reason: 'maintenance', note: 'Repaint' });
    const block = expectStatus<Block>(created, 201);
    expect(block).toMatchObject({
      unitId,
      from: day(3),
      to: day(5),
      reason: 'maintenance',
      note: 'Repaint',
      createdBy: maintenance.userId,
      releasedAt: null,
    });
    expect((await gridOf(listingId, day(2), day(6))).nights.map((night) => night.status)).toEqual([
      'available',
      'blocked',
      'blocked',
      'available',
    ]);

    const listed = expectStatus<{ data: Block[]; total: number }>(await http(t).get(`/v1/units/${unitId}/blocks`, viewer), 200);
    expect(listed).toMatchObject({ total: 1, data: [{ id: block.id }] });

    // The nights are the block's: a booking, and another block, are refused.
    const taken = await http(t).post('/v1/bookings', host.admin, walkInStay(stay, day(4), day(6)));
    expect(taken.json()).toMatchObject({ status: 409, code: 'booking.dates_unavailable' });
    const overlapping = await blockOn(host.admin, unitId, { from: day(4), to: day(8), reason: 'owner_use' });
    expect(overlapping.json()).toMatchObject({ status: 409, code: 'availability.unit_unavailable' });

    expect((await remove(maintenance, block.id)).statusCode).toBe(204);
    expect((await remove(maintenance, block.id)).json()).toMatchObject({ status: 409, code: 'availability.block_released' });
    expect((await gridOf(listingId, day(3), day(5))).nights.map((night) => night.status)).toEqual(['available', 'available']);
    const history = expectStatus<{ data: Block[] }>(await http(t).get(`/v1/units/${unitId}/blocks?includeReleased=true`, viewer), 200);
    expect(history.data).toEqual([expect.objectContaining({ id: block.id, releasedAt: expect.any(String) as unknown })]);
    expect(expectStatus<{ total: number }>(await http(t).get(`/v1/units/${unitId}/blocks`, viewer), 200).total).toBe(0);

    const { rows: audit } = await sql<{ action: string }>`
      SELECT action FROM audit_log WHERE entity_type = 'unit_block' AND entity_id = ${block.id} ORDER BY occurred_at, id
    `.execute(t.database.owner);
    expect(audit.map((row) => row.action)).toEqual(['CREATE', 'DELETE']);
    const { rows: events } = await sql<{ type: string }>`
      SELECT type FROM outbox_event WHERE aggregate_type = 'unit' AND aggregate_id = ${unitId} ORDER BY seq
    `.execute(t.database.owner);
    expect(events.map((row) => row.type)).toEqual(expect.arrayContaining(['unit.blocked', 'unit.unblocked']));
  });

  it('cannot block nights a stay holds; an expired hold gives way, and its booking is cancelled as timeout', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const [unitId] = stay.unitIds as [string];
    await confirmed(stay, day(3), day(5));
    const refused = await blockOn(host.admin, unitId, { from: day(4), to: day(6), reason: 'owner_use' });
    expect(refused.json()).toMatchObject({ status: 409, code: 'availability.unit_unavailable' });

    const lapsing = await heldBooking(t, host.admin, stay, day(6), day(8));
    await lapseHold(t, lapsing.id);
    expectStatus(await blockOn(host.admin, unitId, { from: day(7), to: day(9), reason: 'out_of_order' }), 201);
    const booking = expectStatus<BookingDetail>(await http(t).get(`/v1/bookings/${lapsing.id}`, host.admin), 200);
    expect(booking).toMatchObject({ status: 'cancelled', cancellationReason: 'timeout' });
  });

  it('only roles that may block do; another organization’s unit or block is 404', async () => {
    const stay = await createStay(t, host, { units: 1 });
    const [unitId] = stay.unitIds as [string];
    const body = { from: day(40), to: day(41), reason: 'owner_use' };
    expect((await blockOn(viewer, unitId, body)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await blockOn(rival.admin, unitId, body)).json()).toMatchObject({ status: 404, code: 'availability.unit_not_found' });
    const block = expectStatus<Block>(await blockOn(maintenance, unitId, body), 201);
    expect((await remove(viewer, block.id)).json()).toMatchObject({ status: 403, code: 'access.denied' });
    expect((await remove(rival.admin, block.id)).json()).toMatchObject({ status: 404, code: 'availability.block_not_found' });
    expect((await http(t).get(`/v1/units/${unitId}/blocks`, rival.admin)).json()).toMatchObject({ status: 404 });
    expect((await blockOn(maintenance, unitId, { ...body, from: day(42), to: day(41) })).json()).toMatchObject({
      status: 422,
      code: 'availability.invalid_range',
    });
    expect((await blockOn(maintenance, unitId, { ...body, reason: 'holiday' })).statusCode).toBe(400);
  });
});
