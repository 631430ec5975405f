import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../../test/helpers/app.ts';
import { startTestRelay } from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { moveBookingsOfMergedCustomer } from './merge.ts';
import type { BookingDetail } from './schemas.ts';
import {
  auditActionsOf,
  book,
  createStay,
  day,
  eventTypesOf,
  expectStatus,
  type Host,
  hostedBookingsApp,
  http,
  walkIn,
} from './test-support.ts';

let t: TestApp;
let relay: EventRelay;
let host: Host;

beforeAll(async () => {
  ({ t, host } = await hostedBookingsApp('merging'));
  relay = await startTestRelay(t.database, [moveBookingsOfMergedCustomer]);
});
afterAll(async () => {
  await relay.stop();
  await t.close();
});

describe('customer.merged', () => {
  it('moves the bookings of the record merged away to the one it was merged into', async () => {
    const stay = await createStay(t, host);
    const customer = async () => expectStatus<{ id: string }>(await http(t).post('/v1/customers', host.admin, walkIn()), 201).id;
    const duplicate = await customer();
    const survivor = await customer();
    const booking = await book(t, host.admin, {
      rentalMode: 'daily',
      unitTypeId: stay.unitTypeId,
      checkIn: day(5),
      checkOut: day(6),
      customerId: duplicate,
    });
    expectStatus(await http(t).post(`/v1/customers/${survivor}/merge`, host.admin, { duplicateCustomerId: duplicate }), 200);

    const moved = await waitFor(
      async () => {
        const current = expectStatus<BookingDetail>(await http(t).get(`/v1/bookings/${booking.id}`, host.admin), 200);
        return current.customerId === survivor ? current : undefined;
      },
      { message: 'the booking to move to the surviving customer' },
    );
    expect(moved.events.at(-1)).toMatchObject({
      type: 'changed',
      actorType: 'system',
      data: { reason: 'customer_merged', changes: { customerId: { from: duplicate, to: survivor } } },
    });
    expect(await auditActionsOf(t, booking.id)).toEqual(['CREATE', 'APPROVE', 'CONFIRM', 'UPDATE']);
    expect((await eventTypesOf(t, booking.id)).at(-1)).toBe('booking.changed');
    const history = expectStatus<{ total: number }>(await http(t).get(`/v1/customers/${survivor}/bookings`, host.admin), 200);
    expect(history.total).toBe(1);
  });
});
