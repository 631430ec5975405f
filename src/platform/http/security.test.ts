import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp, testConfig } from '../../../test/helpers/app.ts';
import { createThingsTable, thingsModule } from '../../../test/fixtures/things-module.ts';

const allowed = 'https://console.example.com';
const alsoAllowed = 'http://localhost:5173';
const stranger = 'https://evil.example.net';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [thingsModule], config: { CORS_ALLOWED_ORIGINS: `${allowed}, ${alsoAllowed}` } });
  await createThingsTable(t.database.owner);
});
afterAll(() => t.close());

function corsHeadersOf(headers: Record<string, unknown>): string[] {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

describe('security headers', () => {
  it('marks API responses as data that is never sniffed, framed, or sent over plain HTTP again', async () => {
    for (const url of ['/test/things', '/health/live', '/v1/nothing-here', '/openapi.json']) {
      const reply = await t.app.inject({ method: 'GET', url });
      expect(reply.headers['x-content-type-options'], url).toBe('nosniff');
      expect(reply.headers['strict-transport-security'], url).toMatch(/max-age=31536000; includeSubDomains/);
      expect(reply.headers['referrer-policy'], url).toBe('no-referrer');
      expect(reply.headers['x-frame-options'], url).toBe('DENY');
      expect(reply.headers['content-security-policy'], url).toContain("default-src 'none'");
      expect(reply.headers['content-security-policy'], url).toContain("frame-ancestors 'none'");
    }
  });

  it('carries them on errors too', async () => {
    const reply = await t.app.inject({
      method: 'POST',
      url: '/test/things',
      payload: '{',
      headers: { 'content-type': 'application/json' },
    });
    expect(reply.statusCode).toBe(400);
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('leaves the Swagger UI at /docs working: its page and local assets load under a CSP that allows them', async () => {
    for (const pageUrl of ['/docs', '/docs/']) {
      const page = await t.app.inject({ method: 'GET', url: pageUrl });
      expect(page.statusCode, pageUrl).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.body).toContain('swagger-ui');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).not.toContain("default-src 'none'");
      expect(csp).toMatch(/script-src 'self'/);
      expect(csp).toMatch(/style-src 'self'/);
      expect(page.headers['x-content-type-options']).toBe('nosniff');

      const scripts = [...page.body.matchAll(/<script[^>]+src="([^"]+)"/g)].map((match) => match[1]!);
      const styles = [...page.body.matchAll(/<link[^>]+href="([^"]+\.css)"/g)].map((match) => match[1]!);
      expect(scripts.length).toBeGreaterThan(0);
      for (const asset of [...scripts, ...styles]) {
        // Resolved as the browser resolves it; served by this server (same origin, so 'self'), not a CDN.
        const resolved = new URL(asset, `http://api.test${pageUrl}`);
        expect(resolved.origin, asset).toBe('http://api.test');
        const reply = await t.app.inject({ method: 'GET', url: resolved.pathname });
        expect(reply.statusCode, resolved.pathname).toBe(200);
      }
    }
    // The document the UI loads.
    expect((await t.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });
});

describe('CORS', () => {
  it('echoes an allowed origin with credentials and the headers a client needs to read', async () => {
    for (const origin of [allowed, alsoAllowed]) {
      const reply = await t.app.inject({ method: 'GET', url: '/test/things', headers: { origin } });
      expect(reply.statusCode).toBe(200);
      expect(reply.headers['access-control-allow-origin']).toBe(origin);
      expect(reply.headers['access-control-allow-credentials']).toBe('true');
      expect(String(reply.headers.vary).toLowerCase()).toContain('origin');
      const exposed = String(reply.headers['access-control-expose-headers']).split(', ');
      expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'link', 'x-total-count', 'idempotent-replayed', 'retry-after']));
    }
  });

  it('gives a disallowed origin, or a near miss of an allowed one, no CORS header at all', async () => {
    for (const origin of [stranger, `${allowed}:8443`, 'http://console.example.com', `${allowed}.evil.net`, 'null']) {
      const reply = await t.app.inject({ method: 'GET', url: '/test/things', headers: { origin } });
      expect(reply.statusCode).toBe(200);
      expect(corsHeadersOf(reply.headers), origin).toEqual([]);
      expect(String(reply.headers.vary).toLowerCase(), 'caches must still key on the origin').toContain('origin');
    }
    const sameOrigin = await t.app.inject({ method: 'GET', url: '/test/things' });
    expect(corsHeadersOf(sameOrigin.headers)).toEqual([]);
  });

  it('answers a preflight from an allowed origin with 204, on known and unknown paths alike', async () => {
    for (const url of ['/test/things', '/test/things/12', '/v1/anything']) {
      const reply = await t.app.inject({
        method: 'OPTIONS',
        url,
        headers: {
          origin: allowed,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, idempotency-key',
        },
      });
      expect(reply.statusCode, url).toBe(204);
      expect(reply.body).toBe('');
      expect(reply.headers['access-control-allow-origin']).toBe(allowed);
      expect(reply.headers['access-control-allow-credentials']).toBe('true');
      expect(String(reply.headers['access-control-allow-methods']).split(', ')).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']));
      const headers = String(reply.headers['access-control-allow-headers']).split(', ');
      expect(headers).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'x-client-app']));
    }
  });

  it('refuses a preflight from a disallowed origin without any CORS header', async () => {
    const reply = await t.app.inject({
      method: 'OPTIONS',
      url: '/test/things',
      headers: { origin: stranger, 'access-control-request-method': 'POST' },
    });
    expect(reply.statusCode).toBeGreaterThanOrEqual(400);
    expect(reply.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(corsHeadersOf(reply.headers)).toEqual([]);
  });

  it('keeps unknown routes 404 and wrong methods 405 without OPTIONS in Allow, despite the preflight route', async () => {
    const unknown = await t.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: { origin: allowed } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'request.not_found' });
    expect(unknown.headers['access-control-allow-origin']).toBe(allowed);
    const wrongMethod = await t.app.inject({ method: 'DELETE', url: '/test/things' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, POST');
  });

  it('lets the calling page read a rate-limit refusal and its Retry-After', async () => {
    const limited = await buildTestApp({
      modules: [thingsModule],
      config: { CORS_ALLOWED_ORIGINS: allowed, RATE_LIMIT_MAX: '1' },
      database: t.database,
    });
    try {
      await limited.app.inject({ method: 'GET', url: '/test/things', headers: { origin: allowed } });
      const refused = await limited.app.inject({ method: 'GET', url: '/test/things', headers: { origin: allowed } });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['access-control-allow-origin']).toBe(allowed);
      expect(String(refused.headers['access-control-expose-headers'])).toContain('retry-after');
    } finally {
      await limited.close();
    }
  });

  it('allows no cross-origin access at all when no origin is configured', async () => {
    const closed = await buildTestApp({ modules: [thingsModule], database: t.database });
    try {
      expect(closed.config.CORS_ALLOWED_ORIGINS).toEqual([]);
      const reply = await closed.app.inject({ method: 'GET', url: '/test/things', headers: { origin: allowed } });
      expect(corsHeadersOf(reply.headers)).toEqual([]);
      const preflight = await closed.app.inject({
        method: 'OPTIONS',
        url: '/test/things',
        headers: { origin: allowed, 'access-control-request-method': 'GET' },
      });
      expect(preflight.statusCode).not.toBe(204);
      expect(corsHeadersOf(preflight.headers)).toEqual([]);
    } finally {
      await closed.close();
    }
  });
});

describe('CORS_ALLOWED_ORIGINS', () => {
  it('reads a comma-separated list of exact origins', () => {
    expect(testConfig({ CORS_ALLOWED_ORIGINS: ' https://a.example.com ,http://localhost:5173,' }).CORS_ALLOWED_ORIGINS).toEqual([
      'https://a.example.com',
      'http://localhost:5173',
    ]);
  });

  it.each([
    '*',
    'https://a.example.com/',
    'https://a.example.com/path',
    'a.example.com',
    'ftp://a.example.com',
    'https://a.example.com,nope',
  ])('refuses %s with one line naming the variable', (value) => {
    expect(() => testConfig({ CORS_ALLOWED_ORIGINS: value })).toThrow(
      /^Invalid configuration: CORS_ALLOWED_ORIGINS must be a comma-separated list of exact origins/,
    );
  });
});
