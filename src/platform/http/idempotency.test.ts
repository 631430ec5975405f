import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { countThings, createThingsTable, thingsModule } from '../../../test/fixtures/things-module.ts';
import { purgeExpiredKeys } from './idempotency.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({
    modules: [thingsModule],
    // Callers are told apart by a header here; the identity module scopes keys by user.
    callerScope: (request) => `caller:${String(request.headers['x-test-caller'] ?? 'anonymous')}`,
  });
  await createThingsTable(t.database.owner);
});
afterAll(() => t.close());

function post(body: unknown, key?: string, caller = 'alice', url = '/test/things') {
  return t.app.inject({
    method: 'POST',
    url,
    payload: body as object,
    headers: { 'x-test-caller': caller, ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });
}

async function eventsAbout(name: string) {
  const { rows } = await sql<{ id: string }>`SELECT id FROM outbox_event WHERE envelope -> 'data' ->> 'name' = ${name}`.execute(
    t.database.db,
  );
  return rows;
}

describe('Idempotency-Key on POST', () => {
  it('replays the stored response for the same key and request, with one effect', async () => {
    const first = await post({ name: 'lamp', quantity: 2 }, 'key-replay');
    const second = await post({ quantity: 2, name: 'lamp' }, 'key-replay');
    expect(first.statusCode).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(await countThings(t.database.db, 'lamp')).toBe(1);
  });

  it('refuses the same key with a different request with 422 idempotency.key_reused', async () => {
    expect((await post({ name: 'desk', quantity: 1 }, 'key-reused')).statusCode).toBe(201);
    const reused = await post({ name: 'desk', quantity: 9 }, 'key-reused');
    expect(reused.statusCode).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.json()).toMatchObject({ code: 'idempotency.key_reused', status: 422 });
    const otherPath = await post({ value: 'x' }, 'key-reused', 'alice', '/test/echo');
    expect(otherPath.json()).toMatchObject({ code: 'idempotency.key_reused' });
    expect(await countThings(t.database.db, 'desk')).toBe(1);
  });

  it('produces exactly one effect from 50 concurrent POSTs with one key', async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, () => post({ name: 'chair', quantity: 4 }, 'key-concurrent')));
    const statuses = replies.map((reply) => reply.statusCode);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(1);
    for (const reply of replies.filter((r) => r.statusCode === 409)) {
      expect(reply.json()).toMatchObject({ code: 'idempotency.in_progress' });
      expect(reply.headers['retry-after']).toBe('1');
    }
    const created = new Set(replies.filter((r) => r.statusCode === 201).map((r) => r.body));
    expect(created.size).toBe(1);
    expect(await countThings(t.database.db, 'chair')).toBe(1);
    expect(await eventsAbout('chair')).toHaveLength(1);
    // Once the first has finished, the key replays.
    const later = await post({ name: 'chair', quantity: 4 }, 'key-concurrent');
    expect(later.headers['idempotent-replayed']).toBe('true');
  });

  it('stores nothing when the request fails, so the same key can be retried', async () => {
    const failed = await post({ name: 'refuse-sofa', quantity: 1 }, 'key-retry');
    expect(failed.statusCode).toBe(409);
    expect(failed.json()).toMatchObject({ code: 'thing.refused' });
    expect(await countThings(t.database.db, 'refuse-sofa')).toBe(0);
    expect(await eventsAbout('refuse-sofa')).toEqual([]);
    const retried = await post({ name: 'refuse-sofa', quantity: 1 }, 'key-retry');
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.statusCode).toBe(409);
  });

  it('answers an error, stores nothing and keeps no effect when the commit itself fails', async () => {
    expect((await post({ name: 'shelf', quantity: 1 }, 'key-shelf-1')).statusCode).toBe(201);
    // The unique constraint is deferred: the duplicate is caught only at commit.
    const duplicate = await post({ name: 'shelf', quantity: 1 }, 'key-shelf-2');
    expect(duplicate.statusCode).toBe(500);
    expect(duplicate.json()).toMatchObject({ code: 'request.internal_error' });
    expect(await countThings(t.database.db, 'shelf')).toBe(1);
    const stored = await t.database.db.selectFrom('idempotencyKey').select('key').where('key', '=', 'key-shelf-2').execute();
    expect(stored).toEqual([]);
  });

  it('keeps no effect when its response cannot be stored: both commit together or neither does', async () => {
    await sql`CREATE FUNCTION refuse_key() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.key = 'key-unstorable' THEN RAISE EXCEPTION 'storage refused'; END IF; RETURN NEW; END $$`.execute(t.database.owner);
    await sql`CREATE TRIGGER refuse_key BEFORE INSERT ON idempotency_key FOR EACH ROW EXECUTE FUNCTION refuse_key()`.execute(
      t.database.owner,
    );
    const reply = await post({ name: 'mirror', quantity: 1 }, 'key-unstorable');
    expect(reply.statusCode).toBe(500);
    expect(await countThings(t.database.db, 'mirror')).toBe(0);
    await sql`DROP TRIGGER refuse_key ON idempotency_key`.execute(t.database.owner);
  });

  it('scopes keys to the caller', async () => {
    expect((await post({ name: 'rug-a', quantity: 1 }, 'shared-key', 'alice')).statusCode).toBe(201);
    const bob = await post({ name: 'rug-b', quantity: 1 }, 'shared-key', 'bob');
    expect(bob.statusCode).toBe(201);
    expect(bob.headers['idempotent-replayed']).toBeUndefined();
  });

  it('replays POSTs that write nothing too', async () => {
    const first = await post({ value: 'hello' }, 'key-echo', 'alice', '/test/echo');
    const second = await post({ value: 'hello' }, 'key-echo', 'alice', '/test/echo');
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
  });

  it('accepts keys of 1 to 255 printable characters and refuses others with 400', async () => {
    expect((await post({ value: 'a' }, 'k'.repeat(255), 'alice', '/test/echo')).statusCode).toBe(200);
    expect((await post({ value: 'a' }, '"quoted-key"', 'alice', '/test/echo')).statusCode).toBe(200);
    for (const bad of ['k'.repeat(256), 'has space', '']) {
      const reply = await post({ value: 'a' }, bad, 'alice', '/test/echo');
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ code: 'idempotency.key_invalid' });
    }
  });

  it('forgets keys after their time to live, and the purge removes them', async () => {
    expect((await post({ name: 'vase', quantity: 1 }, 'key-expiring')).statusCode).toBe(201);
    await sql`UPDATE idempotency_key SET expires_at = now() - interval '1 second' WHERE key = 'key-expiring'`.execute(t.database.db);
    const again = await post({ name: 'vase-2', quantity: 1 }, 'key-expiring');
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const stored = await t.database.db
      .selectFrom('idempotencyKey')
      .select(['expiresAt', 'createdAt'])
      .where('key', '=', 'key-expiring')
      .executeTakeFirstOrThrow();
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBeGreaterThanOrEqual(24 * 3600 * 1000 - 1000);
    await sql`UPDATE idempotency_key SET expires_at = now() - interval '1 second' WHERE key = 'key-expiring'`.execute(t.database.db);
    expect(await purgeExpiredKeys(t.database.db)).toBeGreaterThanOrEqual(1);
  });
});
