import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/helpers/database.ts';
import {
  allDelivered,
  clearEvents,
  createEffectTable,
  deliveryOf,
  publishCommitted,
  readEffects,
  recordingSubscriber,
  startTestRelay,
} from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import type { EventRelay } from './relay.ts';

const token = 'operator-token-for-the-event-admin-tests';
const authorized = { authorization: `Bearer ${token}` };
let database: TestDatabase;
let t: TestApp;
let relay: EventRelay | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  await createEffectTable(database.owner);
  t = await buildTestApp({ database, config: { OPERATOR_TOKEN: token } });
});
afterAll(async () => {
  await t.close();
  await database.drop();
});
beforeEach(() => clearEvents(database.owner));
afterEach(async () => {
  await relay?.stop();
  relay = undefined;
});

interface ParkedPage {
  data: {
    subscriber: string;
    eventId: string;
    type: string;
    aggregate: { type: string; id: string };
    attempts: number;
    lastError: string;
  }[];
  total: number;
}

async function listParked(query = '') {
  const reply = await t.app.inject({ method: 'GET', url: `/v1/admin/events/parked${query}`, headers: authorized });
  expect(reply.statusCode).toBe(200);
  return { page: reply.json<ParkedPage>(), reply };
}

describe('parked deliveries', () => {
  it('parks after the last attempt, holds back only that aggregate, lists it for operators and re-drives it', async () => {
    let broken = true;
    const ledger = recordingSubscriber('ledger', {
      afterEffect: (event) => {
        if (broken && event.aggregate.id === 'parcel-stuck') throw new Error('account is frozen');
      },
    });
    relay = await startTestRelay(database, [ledger], { config: { OUTBOX_MAX_ATTEMPTS: '3' } });
    const first = await publishCommitted(database.db, 'parcel-stuck');
    await waitFor(async () => (await deliveryOf(database.db, 'ledger', first.id))?.status === 'parked', {
      message: 'the delivery to park',
    });
    expect(ledger.calls.get(first.id)).toBe(3);

    // Published after the parked one and before the free one: handled first were it not held back.
    const second = await publishCommitted(database.db, 'parcel-stuck');
    const free = await publishCommitted(database.db, 'parcel-free');
    await waitFor(async () => (await readEffects(database.db)).some((effect) => effect.eventId === free.id));
    expect(ledger.calls.get(second.id)).toBeUndefined();
    expect(await deliveryOf(database.db, 'ledger', second.id)).toMatchObject({ status: 'pending', attempts: 0 });

    const { page } = await listParked();
    expect(page.total).toBe(1);
    expect(page.data[0]).toMatchObject({
      subscriber: 'ledger',
      eventId: first.id,
      type: 'parcel.moved',
      aggregate: { type: 'parcel', id: 'parcel-stuck' },
      attempts: 3,
      lastError: 'Error: account is frozen',
      envelope: first,
    });

    broken = false;
    const redrive = await t.app.inject({ method: 'POST', url: `/v1/admin/events/parked/ledger/${first.id}/redrive`, headers: authorized });
    expect(redrive.statusCode).toBe(200);
    expect(redrive.json()).toEqual({ redriven: 1 });
    await waitFor(() => allDelivered(database.db), { message: 'the re-driven deliveries to be handled' });
    const stuck = (await readEffects(database.db)).filter((effect) => effect.parcel === 'parcel-stuck');
    expect(stuck.map((effect) => effect.eventId)).toEqual([first.id, second.id]);
    expect((await listParked()).page.total).toBe(0);

    const again = await t.app.inject({ method: 'POST', url: `/v1/admin/events/parked/ledger/${first.id}/redrive`, headers: authorized });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'events.parked_delivery_not_found' });
  });

  it('filters and pages the list, and re-drives in bulk by subscriber and type', async () => {
    let broken = true;
    const fail = () => {
      if (broken) throw new Error('downstream is down');
    };
    const alpha = recordingSubscriber('alpha', { eventTypes: ['parcel.moved', 'parcel.lost'], afterEffect: fail });
    const beta = recordingSubscriber('beta', { afterEffect: fail });
    relay = await startTestRelay(database, [alpha, beta], { config: { OUTBOX_MAX_ATTEMPTS: '1' } });
    for (const parcel of ['p1', 'p2', 'p3']) await publishCommitted(database.db, parcel);
    for (const parcel of ['p4', 'p5']) await publishCommitted(database.db, parcel, {}, 'parcel.lost');
    await waitFor(async () => (await listParked()).page.total === 8, { message: 'eight parked deliveries' });

    expect((await listParked('?subscriber=alpha&type=parcel.lost')).page.data.map((row) => row.aggregate.id).toSorted()).toEqual([
      'p4',
      'p5',
    ]);
    expect((await listParked('?subscriber=beta')).page.total).toBe(3);
    const { page, reply } = await listParked('?page=2&pageSize=3');
    expect(page).toMatchObject({ total: 8, page: 2, pageSize: 3 });
    expect(page.data).toHaveLength(3);
    expect(reply.headers['x-total-count']).toBe('8');
    expect(reply.headers.link).toContain('rel="next"');

    const unknownField = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/events/parked/redrive',
      headers: authorized,
      payload: { colour: 'red' },
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json()).toMatchObject({ code: 'request.validation_failed' });

    broken = false;
    const lost = await t.app.inject({
      method: 'POST',
      url: '/v1/admin/events/parked/redrive',
      headers: authorized,
      payload: { subscriber: 'alpha', type: 'parcel.lost' },
    });
    expect(lost.json()).toEqual({ redriven: 2 });
    await waitFor(async () => (await readEffects(database.db, 'alpha')).length === 2, { message: 'alpha’s lost parcels handled' });
    expect((await listParked()).page.total).toBe(6);

    const rest = await t.app.inject({ method: 'POST', url: '/v1/admin/events/parked/redrive', headers: authorized, payload: {} });
    expect(rest.json()).toEqual({ redriven: 6 });
    await waitFor(() => allDelivered(database.db), { message: 'every re-driven delivery handled' });
  });
});

describe('guarding the operations endpoints', () => {
  it('answers 401 without the operator token and changes nothing', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/admin/events/parked' })).json()).toMatchObject({
      status: 401,
      code: 'operator.unauthenticated',
    });
    const wrong = await t.app.inject({ method: 'GET', url: '/v1/admin/events/parked', headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    const redrive = await t.app.inject({ method: 'POST', url: '/v1/admin/events/parked/redrive', payload: { colour: 'red' } });
    expect(redrive.statusCode).toBe(401);
  });

  it('answers 403 when OPERATOR_TOKEN is not set', async () => {
    const closed = await buildTestApp({ database });
    try {
      const reply = await closed.app.inject({ method: 'GET', url: '/v1/admin/events/parked', headers: authorized });
      expect(reply.statusCode).toBe(403);
      expect(reply.json()).toMatchObject({ code: 'operator.disabled' });
    } finally {
      await closed.close();
    }
  });

  it('documents the endpoints in OpenAPI under operations', async () => {
    const document = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, Record<string, { tags?: string[] }>>;
    }>();
    expect(document.paths['/v1/admin/events/parked']?.get?.tags).toEqual(['operations']);
    expect(document.paths['/v1/admin/events/parked/{subscriber}/{eventId}/redrive']?.post?.tags).toEqual(['operations']);
    expect(document.paths['/v1/admin/events/parked/redrive']?.post?.tags).toEqual(['operations']);
  });

  it('validates the event id of a single re-drive', async () => {
    const reply = await t.app.inject({ method: 'POST', url: '/v1/admin/events/parked/ledger/not-a-uuid/redrive', headers: authorized });
    expect(reply.statusCode).toBe(400);
  });
});
