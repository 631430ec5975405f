import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { createThingsTable, thingsModule } from '../../../test/fixtures/things-module.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [thingsModule], config: { HTTP_BODY_LIMIT_BYTES: '2048' } });
  await createThingsTable(t.database.owner);
});
afterAll(() => t.close());

function expectProblem(reply: { statusCode: number; headers: Record<string, unknown>; json: () => unknown }, status: number, code: string) {
  expect(reply.statusCode).toBe(status);
  expect(reply.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  const problem = reply.json() as Record<string, unknown>;
  expect(problem).toMatchObject({ status, code, type: `/problems/${code}` });
  expect(typeof problem.title).toBe('string');
  expect(typeof problem.detail).toBe('string');
  expect(problem.requestId).toBe(reply.headers['x-request-id']);
  return problem;
}

describe('problem details for every error', () => {
  it('answers an unknown route with 404 request.not_found', async () => {
    expectProblem(await t.app.inject({ method: 'GET', url: '/v1/nothing-here' }), 404, 'request.not_found');
  });

  it('answers a known path with a wrong method with 405 and Allow', async () => {
    const reply = await t.app.inject({ method: 'DELETE', url: '/test/things' });
    expectProblem(reply, 405, 'request.method_not_allowed');
    expect(reply.headers.allow).toBe('GET, POST');
    expectProblem(await t.app.inject({ method: 'PUT', url: '/test/things/12' }), 405, 'request.method_not_allowed');
  });

  it('answers malformed JSON with 400 request.malformed_json', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/test/things',
      payload: '{"name": "lamp",',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(reply, 400, 'request.malformed_json');
  });

  it('lists every invalid and unknown field', async () => {
    const reply = await t.app.inject({ method: 'POST', url: '/test/things', payload: { name: '', quantity: 1.5, colour: 'red', size: 3 } });
    const problem = expectProblem(reply, 400, 'request.validation_failed');
    const errors = problem.errors as { path: string; code: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'body.name', code: 'too_small' }),
        expect.objectContaining({ path: 'body.quantity', code: 'invalid_type' }),
        expect.objectContaining({ path: 'body.colour', code: 'unknown_field' }),
        expect.objectContaining({ path: 'body.size', code: 'unknown_field' }),
      ]),
    );
  });

  it('validates the query string and path parameters too', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/test/things?page=0' });
    const problem = expectProblem(reply, 400, 'request.validation_failed');
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'querystring.page' })]);
  });

  it('answers a body over the limit with 413', async () => {
    const reply = await t.app.inject({ method: 'POST', url: '/test/things', payload: { name: 'x'.repeat(4000), quantity: 1 } });
    expectProblem(reply, 413, 'request.body_too_large');
  });

  it('answers an unsupported content type with 415', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/test/things',
      payload: 'name=lamp',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectProblem(reply, 415, 'request.unsupported_media_type');
  });

  it('answers an unexpected failure with 500 and no internals', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/test/things/7' });
    const problem = expectProblem(reply, 500, 'request.internal_error');
    expect(JSON.stringify(problem)).not.toMatch(/10\.0\.0\.5|secret|stack/);
    expect(problem.detail).toContain(reply.headers['x-request-id'] as string);
  });

  it('answers a domain error with its own status and code, and rolls its transaction back', async () => {
    const reply = await t.app.inject({ method: 'POST', url: '/test/things', payload: { name: 'refuse-me', quantity: 1 } });
    expectProblem(reply, 409, 'thing.refused');
  });

  it('describes every code at the address its type points to', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/problems/request.body_too_large' });
    expect(reply.json()).toEqual({ code: 'request.body_too_large', status: 413, title: 'The body is too large' });
    const all = (await t.app.inject({ method: 'GET', url: '/problems' })).json<{ code: string }[]>();
    expect(all.map((entry) => entry.code)).toEqual(expect.arrayContaining(['thing.refused', 'idempotency.key_reused']));
  });
});

describe('rate limits', () => {
  it('answers 429 with Retry-After once the limit is reached', async () => {
    const limited = await buildTestApp({
      modules: [thingsModule],
      config: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '60' },
      database: t.database,
    });
    try {
      const replies = [];
      for (let i = 0; i < 4; i++) replies.push(await limited.app.inject({ method: 'GET', url: '/test/things' }));
      expect(replies.slice(0, 3).map((reply) => reply.statusCode)).toEqual([200, 200, 200]);
      const problem = expectProblem(replies[3]!, 429, 'request.rate_limited');
      expect(Number(replies[3]!.headers['retry-after'])).toBeGreaterThan(0);
      expect(problem.detail).toMatch(/Retry-After/);
    } finally {
      await limited.close();
    }
  });
});

describe('request ids', () => {
  it('honours a well-formed X-Request-Id and echoes it', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'req-abc.123:XYZ' } });
    expect(reply.headers['x-request-id']).toBe('req-abc.123:XYZ');
  });

  it('replaces a malformed one with a new id', async () => {
    for (const bad of ['has spaces', 'x'.repeat(129), '<script>']) {
      const reply = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': bad } });
      expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});

describe('correlation', () => {
  it('makes the request id the correlation id of the events the request publishes', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/test/things',
      payload: { name: 'correlated', quantity: 1 },
      headers: { 'x-request-id': 'corr-42', 'x-client-app': 'front-desk-console' },
    });
    expect(reply.statusCode).toBe(201);
    const event = await t.database.db
      .selectFrom('outboxEvent')
      .select('envelope')
      .where('aggregateId', '=', String(reply.json<{ id: number }>().id))
      .executeTakeFirstOrThrow();
    expect(event.envelope).toMatchObject({
      type: 'thing.created',
      correlationId: 'corr-42',
      causationId: null,
      actor: { type: 'anonymous', id: null },
      metadata: { source: 'things', clientApp: 'front-desk-console' },
      data: { name: 'correlated', quantity: 1 },
    });
  });
});

describe('pagination', () => {
  it('returns a total and RFC 8288 links that keep the other parameters', async () => {
    for (let i = 0; i < 5; i++) await t.app.inject({ method: 'POST', url: '/test/things', payload: { name: `page-${i}`, quantity: 1 } });
    const reply = await t.app.inject({ method: 'GET', url: '/test/things?pageSize=2&page=2&q=x' });
    expect(reply.statusCode).toBe(200);
    const body = reply.json<{ data: unknown[]; total: number; page: number; pageSize: number }>();
    expect(body).toMatchObject({ page: 2, pageSize: 2 });
    expect(body.data).toHaveLength(2);
    expect(reply.headers['x-total-count']).toBe(String(body.total));
    const last = Math.ceil(body.total / 2);
    expect(reply.headers.link).toBe(
      [
        '</test/things?pageSize=2&page=1&q=x>; rel="first"',
        '</test/things?pageSize=2&page=1&q=x>; rel="prev"',
        '</test/things?pageSize=2&page=3&q=x>; rel="next"',
        `</test/things?pageSize=2&page=${last}&q=x>; rel="last"`,
      ].join(', '),
    );
  });

  it('caps the page size at 200', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/test/things?pageSize=5000' });
    expect(reply.json()).toMatchObject({ pageSize: 200 });
  });
});

describe('operations endpoints', () => {
  it('serves liveness and readiness', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' });
    const ready = await t.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ok', checks: [{ name: 'database', status: 'ok' }] });
  });

  it('reports not ready with 503 problem details when a check fails', async () => {
    const failing = await buildTestApp({
      database: t.database,
      readinessChecks: [{ name: 'event relay', check: async () => 'listener disconnected' }],
    });
    try {
      const reply = await failing.app.inject({ method: 'GET', url: '/health/ready' });
      const problem = expectProblem(reply, 503, 'request.unavailable');
      expect(problem.detail).toBe('event relay: listener disconnected');
    } finally {
      await failing.close();
    }
  });

  it('publishes an OpenAPI 3.1 document generated from the route schemas, and the docs UI', async () => {
    const reply = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    const document = reply.json<{
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>>;
      components?: { schemas?: Record<string, unknown> };
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(document.components?.schemas?.Problem).toBeDefined();
    expect(JSON.stringify(document.paths['/test/things']?.post?.responses?.['4XX'])).toContain('#/components/schemas/Problem');
    expect(document.paths['/test/things']?.post?.requestBody).toBeDefined();
    expect(document.paths['/health/ready']).toBeDefined();
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });

  it('exposes Prometheus metrics with latency histograms by route', async () => {
    await t.app.inject({ method: 'GET', url: '/test/things' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/tenure_http_request_duration_seconds_bucket\{.*route="\/test\/things".*\}/);
    expect(metrics.body).not.toMatch(/route="\/test\/things\/7"/);
  });
});

describe('route declarations', () => {
  it('refuses at start-up a body schema that would accept unknown fields', async () => {
    const loose = {
      name: 'loose',
      routes: (app: TestApp['app']) => {
        app.post('/test/loose', { schema: { body: z.object({ name: z.string() }) } }, async () => ({}));
      },
    };
    await expect(buildTestApp({ modules: [loose], database: t.database })).rejects.toThrow(/must be z.strictObject/);
  });
});
