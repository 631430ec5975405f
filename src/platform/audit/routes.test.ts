import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import type { TenureModule } from '../module.ts';
import { type AuditEntry, type AuditEntryInput, recordAudit } from './audit-log.ts';
import { auditContextOf } from './http.ts';
import { registerEntityAuditRoute } from './routes.ts';

const token = 'o'.repeat(40);
const auth = { authorization: `Bearer ${token}` };
const alice = '0190a5f0-0000-7000-8000-00000000a11c';
const bob = '0190a5f0-0000-7000-8000-000000000b0b';
const orgA = '0190a5f0-0000-7000-8000-00000000000a';
const orgB = '0190a5f0-0000-7000-8000-00000000000b';

/** A module that audits its one mutation from the request, and exposes its objects' history. */
const parcelsModule: TenureModule = {
  name: 'parcels',
  routes(app) {
    registerEntityAuditRoute(app, { path: '/v1/parcels/:id/audit', entityType: 'parcel' });
    app.post(
      '/test/parcels/:id/move',
      { schema: { params: z.object({ id: z.string() }), body: z.strictObject({ to: z.string() }) } },
      async (request) =>
        request.transaction((tx) =>
          recordAudit(tx, {
            ...auditContextOf(request),
            action: 'UPDATE',
            entityType: 'parcel',
            entityId: request.params.id,
            before: { place: 'depot' },
            after: { place: request.body.to },
          }),
        ),
    );
  },
};

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [parcelsModule], config: { OPERATOR_TOKEN: token } });
});
afterAll(() => t.close());

function entry(overrides: Partial<AuditEntryInput>): AuditEntryInput {
  return {
    actor: { type: 'user', userId: alice, role: 'manager' },
    orgId: orgA,
    action: 'UPDATE',
    entityType: 'parcel',
    entityId: 'p-0',
    correlationId: 'seed',
    ...overrides,
  };
}

/** Records entries, several per transaction so some share one instant and order by id alone. */
async function seed(entries: AuditEntryInput[]): Promise<void> {
  await t.database.db.transaction().execute(async (tx) => {
    for (const input of entries) await recordAudit(tx, input);
  });
}

async function get(url: string) {
  const reply = await t.app.inject({ method: 'GET', url, headers: auth });
  return { reply, body: reply.json<{ data: AuditEntry[]; nextCursor: string | null }>() };
}

/** Every page, following nextCursor, and checking the Link header matches it. */
async function allPages(url: string): Promise<{ pages: AuditEntry[][] }> {
  const pages: AuditEntry[][] = [];
  let next: string | undefined = url;
  while (next) {
    const { reply, body } = await get(next);
    expect(reply.statusCode).toBe(200);
    pages.push(body.data);
    const link = reply.headers.link;
    if (body.nextCursor === null) {
      expect(link).toBeUndefined();
      next = undefined;
    } else {
      expect(link).toMatch(/^<\/v1\/[^>]+>; rel="next"$/);
      next = /^<([^>]+)>/.exec(String(link))?.[1];
      expect(new URL(next ?? '', 'http://x').searchParams.get('cursor')).toBe(body.nextCursor);
    }
  }
  return { pages };
}

describe('GET /v1/audit-logs', () => {
  beforeAll(async () => {
    // Five entries of one parcel, in two transactions (two instants), then other objects and actors.
    await seed([0, 1, 2].map((n) => entry({ entityId: 'p-page', after: { n } })));
    await seed([3, 4].map((n) => entry({ entityId: 'p-page', after: { n } })));
    await seed([
      entry({ entityId: 'p-other', actor: { type: 'user', userId: bob, role: 'viewer' }, action: 'CREATE', orgId: orgB }),
      entry({ entityType: 'booking', entityId: 'p-page', action: 'CANCEL' }),
      entry({ entityId: 'p-system', actor: { type: 'system', userId: null }, orgId: null, action: 'DELETE' }),
    ]);
  });

  it('pages newest first with an opaque cursor: limit − 1, limit and limit + 1 rows', async () => {
    const url = (limit: number) => `/v1/audit-logs?entityType=parcel&entityId=p-page&limit=${limit}`;
    const { body: all } = await get(url(200));
    // The later transaction's entries (3, 4) come first; within one instant the id decides.
    const numbers = all.data.map((e) => Number(e.after?.n));
    expect(numbers.slice(0, 2).sort()).toEqual([3, 4]);
    expect(numbers.slice(2).sort()).toEqual([0, 1, 2]);
    const times = all.data.map((e) => e.occurredAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(all.data.map((e) => `${e.occurredAt} ${e.id}`)).toEqual(
      all.data
        .map((e) => `${e.occurredAt} ${e.id}`)
        .sort()
        .reverse(),
    );
    expect(all.nextCursor).toBeNull();

    for (const limit of [6, 5, 4, 2, 1]) {
      const { pages } = await allPages(url(limit));
      expect(pages.flat()).toEqual(all.data);
      expect(pages.every((page) => page.length <= limit)).toBe(true);
      // 5 rows: limit 6 (rows = limit − 1) and 5 (rows = limit) give one page; 4 (rows = limit + 1) gives two.
      expect(pages.length).toBe(Math.ceil(5 / limit));
    }
  });

  it('filters by object, actor, action, organization and time range', async () => {
    const ids = async (query: string) => (await get(`/v1/audit-logs?${query}`)).body.data.map((e) => `${e.entityType}:${e.entityId}`);
    expect(await ids(`actorUserId=${bob}`)).toEqual(['parcel:p-other']);
    expect(await ids('action=CANCEL')).toEqual(['booking:p-page']);
    expect(await ids(`orgId=${orgB}`)).toEqual(['parcel:p-other']);
    expect(await ids('entityId=p-page&entityType=booking')).toEqual(['booking:p-page']);
    expect(await ids('action=DELETE')).toEqual(['parcel:p-system']);
    const { body } = await get('/v1/audit-logs?entityId=p-page&entityType=parcel');
    const newest = body.data[0]?.occurredAt ?? '';
    expect((await ids(`entityId=p-page&entityType=parcel&from=${newest}`)).length).toBe(2);
    expect((await ids(`entityId=p-page&entityType=parcel&to=${newest}`)).length).toBe(3);
    expect(await ids('from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00%2B02:00')).toEqual([]);
  });

  it('refuses a cursor it did not issue, and unknown actions, with problem details', async () => {
    const bad = await get('/v1/audit-logs?cursor=bm90LWEtY3Vyc29y');
    expect(bad.reply.statusCode).toBe(400);
    expect(bad.reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(bad.body).toMatchObject({ code: 'audit.cursor_invalid' });
    const action = await get('/v1/audit-logs?action=TELEPORT');
    expect(action.reply.statusCode).toBe(400);
    expect(action.body).toMatchObject({ code: 'request.validation_failed' });
  });

  it('is closed without the operator token', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/v1/audit-logs' });
    expect(reply.statusCode).toBe(401);
    expect(reply.json()).toMatchObject({ code: 'operator.unauthenticated' });
    const entity = await t.app.inject({ method: 'GET', url: '/v1/parcels/p-page/audit' });
    expect(entity.statusCode).toBe(401);
  });
});

describe('auditing a request and reading one object history', () => {
  it('records the actor, IP, user agent and request id of the request, with the change', async () => {
    const moved = await t.app.inject({
      method: 'POST',
      url: '/test/parcels/p-http/move',
      payload: { to: 'shelf 4' },
      headers: { 'user-agent': 'console/1.0', 'x-request-id': 'req-audit-1' },
    });
    expect(moved.statusCode).toBe(200);
    const { reply, body } = await get('/v1/parcels/p-http/audit');
    expect(reply.statusCode).toBe(200);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      actor: { type: 'anonymous', userId: null, role: null },
      orgId: null,
      action: 'UPDATE',
      entityType: 'parcel',
      entityId: 'p-http',
      before: { place: 'depot' },
      after: { place: 'shelf 4' },
      changes: { place: { from: 'depot', to: 'shelf 4' } },
      ip: '127.0.0.1',
      userAgent: 'console/1.0',
      correlationId: 'req-audit-1',
    });
  });

  it('pages one object history and leaves other types with the same id out', async () => {
    const { pages } = await allPages('/v1/parcels/p-page/audit?limit=2');
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat().every((e) => e.entityType === 'parcel' && e.entityId === 'p-page')).toBe(true);
  });
});
