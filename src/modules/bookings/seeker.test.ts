import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import type { BookingSummary } from './schemas.ts';
import {
  approvedListing,
  book,
  createStay,
  day,
  expectStatus,
  type Host,
  hostedBookingsApp,
  http,
  newOrganization,
  newUser,
  platformAdmin,
  type Session,
  switchTo,
} from './test-support.ts';

/** GET /v1/bookings?role=seeker: a marketplace guest's own bookings, in every organization they booked with. */
let t: TestApp;
let north: Host;
let south: Host;
let northListing: string;
let southListing: string;

beforeAll(async () => {
  ({ t, host: north } = await hostedBookingsApp('north'));
  south = await newOrganization(t, 'south');
  const moderator = await platformAdmin(t);
  northListing = await approvedListing(t, north, moderator, await createStay(t, north, { units: 3 }));
  southListing = await approvedListing(t, south, moderator, await createStay(t, south, { units: 3 }));
});
afterAll(() => t.close());

interface Page {
  data: BookingSummary[];
  page: number;
  pageSize: number;
  total: number;
}

const seekerPage = async (session: Session, query = '') =>
  expectStatus<Page>(await http(t).get(`/v1/bookings?role=seeker${query}`, session), 200);

const stay = (listingId: string, checkIn: number) => ({
  rentalMode: 'daily',
  listingId,
  checkIn: day(checkIn),
  checkOut: day(checkIn + 1),
});

describe('a seeker’s bookings', () => {
  it('span every organization they booked with, newest first, acting in none or in one', async () => {
    const guest = await newUser(t.app, 'traveller');
    const other = await newUser(t.app, 'stranger');
    const first = await book(t, guest, stay(northListing, 10));
    const second = await book(t, guest, stay(southListing, 12));
    const third = await book(t, guest, stay(northListing, 14));
    const theirs = await book(t, other, stay(northListing, 16));

    const mine = [third, second, first].map(({ id }) => id);
    const inNone = await seekerPage(guest);
    expect(inNone.data.map(({ id }) => id)).toEqual(mine);
    expect(inNone.total).toBe(3);
    expect(inNone.data.map(({ organizationId }) => organizationId)).toEqual([north.orgId, south.orgId, north.orgId]);

    // Acting in either organization changes nothing: the list is the user's, not the organization's.
    for (const orgId of [north.orgId, south.orgId]) {
      expect((await seekerPage(await switchTo(t, guest, orgId))).data.map(({ id }) => id)).toEqual(mine);
    }

    const paged = await seekerPage(guest, '&pageSize=2&page=2');
    expect(paged).toMatchObject({ page: 2, pageSize: 2, total: 3 });
    expect(paged.data.map(({ id }) => id)).toEqual([first.id]);
    const filtered = await seekerPage(guest, `&from=${day(12)}&to=${day(13)}`);
    expect(filtered.data.map(({ id }) => id)).toEqual([second.id]);

    // Another user's bookings never appear, not even to the staff of the organization they were made in.
    expect((await seekerPage(other)).data.map(({ id }) => id)).toEqual([theirs.id]);
    expect(await seekerPage(north.admin)).toMatchObject({ data: [], total: 0 });
  });

  it('need a signed-in caller; the organization’s list (role=owner) still needs one to act in', async () => {
    expect((await http(t).get('/v1/bookings?role=seeker')).statusCode).toBe(401);
    const newcomer = await newUser(t.app, 'newcomer');
    expect(await seekerPage(newcomer)).toMatchObject({ data: [], total: 0 });
    expect((await http(t).get('/v1/bookings', newcomer)).json()).toMatchObject({ status: 403, code: 'access.no_organization' });
  });
});
