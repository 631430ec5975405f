import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { expireHolds } from './holds.ts';
import type { BookingDetail } from './schemas.ts';
import {
  type BookingAction,
  bookingActions,
  type BookingStatus,
  bookingStatuses,
  nextStatus,
  occupyingStatuses,
  terminalStatuses,
  transitions,
} from './state-machine.ts';
import {
  activeOccupancyOf,
  approvedListing,
  book,
  createStay,
  day,
  type Host,
  hostedBookingsApp,
  http,
  newUser,
  platformAdmin,
  type Session,
  type Stay,
} from './test-support.ts';

describe('the transition table', () => {
  it('reaches every status from pending, and its terminal statuses are exactly the ends of a stay', () => {
    const reached = new Set<BookingStatus>(['pending']);
    for (let grown = true; grown;) {
      grown = false;
      for (const { from, to } of transitions) {
        if (reached.has(from) && !reached.has(to)) {
          reached.add(to);
          grown = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...bookingStatuses].sort());
    expect([...terminalStatuses].sort()).toEqual(['cancelled', 'completed', 'declined', 'no_show']);
    for (const status of terminalStatuses) for (const action of bookingActions) expect(nextStatus(status, action)).toBeUndefined();
  });
});

/**
 * Random sequences of transition requests against real bookings, over HTTP: each answers 200 when
 * the table has the transition and 409 `booking.illegal_transition` otherwise, the booking is then
 * in the status the table says, its occupancy follows (a hold while pending or approved, a booking
 * once confirmed, nothing once it ended), and a terminal status never changes again.
 */
let t: TestApp;
let host: Host;
let seeker: Session;
let stay: Stay;
let listingId: string;

beforeAll(async () => {
  ({ t, host } = await hostedBookingsApp('machine'));
  stay = await createStay(t, host, { units: 2 });
  listingId = await approvedListing(t, host, await platformAdmin(t), stay, { autoAccept: { daily: false } });
  seeker = await newUser(t.app, 'guest');
});
afterAll(() => t.close());

const paths: Record<Exclude<BookingAction, 'expire'>, string> = {
  approve: 'approve',
  decline: 'decline',
  confirm: 'confirm',
  cancel: 'cancel',
  check_in: 'check-in',
  check_out: 'check-out',
  complete: 'complete',
  no_show: 'no-show',
};

/** The hold-expiry job, after the booking's hold has lapsed (when it has one). */
async function expire(bookingId: string): Promise<void> {
  await sql`UPDATE booking SET hold_expires_at = now() - interval '1 minute' WHERE id = ${bookingId} AND status IN ('pending', 'approved')`.execute(
    t.database.owner,
  );
  await sql`UPDATE occupancy SET expires_at = now() - interval '1 minute' WHERE booking_id = ${bookingId} AND released_at IS NULL AND kind = 'hold'`.execute(
    t.database.owner,
  );
  await expireHolds(t.database.db);
}

async function statusOf(bookingId: string): Promise<BookingStatus> {
  return (await http(t).get(`/v1/bookings/${bookingId}`, host.admin)).json<BookingDetail>().status;
}

describe('random sequences of transition requests', () => {
  it('never reach a status the table does not allow; terminal statuses stay terminal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...bookingActions), { minLength: 1, maxLength: 8 }), async (actions) => {
        const booking = await book(t, seeker, { rentalMode: 'daily', listingId, checkIn: day(0), checkOut: day(1) });
        let status: BookingStatus = booking.status;
        expect(status).toBe('pending');
        for (const action of actions) {
          const expected = nextStatus(status, action);
          if (action === 'expire') {
            await expire(booking.id);
          } else {
            const reply = await http(t).post(`/v1/bookings/${booking.id}/${paths[action]}`, host.admin);
            if (expected === undefined) {
              expect(reply.json(), `${status} --${action}-->`).toMatchObject({ status: 409, code: 'booking.illegal_transition' });
            } else {
              expect(reply.statusCode, `${status} --${action}--> ${expected}: ${reply.body}`).toBe(200);
            }
          }
          const now = await statusOf(booking.id);
          // Approving a booking paid at the property would confirm it too; these are paid online.
          expect(now, `${status} --${action}-->`).toBe(expected ?? status);
          if (terminalStatuses.includes(status)) expect(now).toBe(status);
          status = now;

          const occupancy = (await activeOccupancyOf(t, stay.unitIds)).filter((row) => row.bookingId === booking.id);
          if (status === 'pending' || status === 'approved') expect(occupancy.map((row) => row.kind)).toEqual(['hold']);
          else if (status === 'confirmed' || status === 'checked_in') expect(occupancy.map((row) => row.kind)).toEqual(['booking']);
          else if (!occupyingStatuses.includes(status)) expect(occupancy).toEqual([]);
        }
        // Free the unit for the next run, whatever state the booking was left in.
        await sql`UPDATE occupancy SET released_at = now() WHERE booking_id = ${booking.id} AND released_at IS NULL`.execute(
          t.database.owner,
        );
      }),
      { numRuns: 40 },
    );
  });
});
