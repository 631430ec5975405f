import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modules } from '../../src/modules/index.ts';
import { bearer, newUser, type Session, uniqueEmail } from '../helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Walks the route table: every route with an id in its path, called by an admin of another
 * organization about organization A's objects, answers 404 — never the object, and never a 403
 * that would confirm it exists. A new route with an unknown path parameter fails this test until
 * its fixture is added below, so no route escapes the sweep.
 */
let t: TestApp;

/** Routes outside the sweep, and why. */
const outsideTheSweep: Record<string, string> = {
  'GET /problems/:code': 'the public catalogue of error codes; it belongs to no organization',
  'POST /v1/admin/events/parked/:subscriber/:eventId/redrive': 'operators only, with the operator token; no organization owns events',
  'GET /docs/*': 'the API documentation',
  'GET /docs/static/*': 'the API documentation',
};

async function call(method: string, url: string, caller: Session, payload?: object) {
  return t.app.inject({
    method: method as 'GET',
    url,
    headers: bearer(caller.accessToken),
    ...(payload ? { payload } : {}),
  });
}

async function organizationOf(admin: Session, name: string): Promise<{ id: string; admin: Session }> {
  const created = await call('POST', '/v1/organizations', admin, { name });
  expect(created.statusCode).toBe(201);
  const id = created.json<{ id: string }>().id;
  const switched = await call('POST', `/v1/organizations/${id}/switch`, admin);
  return { id, admin: { ...admin, accessToken: switched.json<{ accessToken: string }>().accessToken } };
}

let orgA: { id: string; admin: Session };
let orgB: { id: string; admin: Session };
let memberOfA: Session;

/** What each path parameter names in organization A. */
const fixtures = (): Record<string, string> => ({ id: orgA.id, userId: memberOfA.userId });

/** Bodies valid for each route, so that validation cannot answer before authorization. */
const bodies = (): Record<string, object> => ({
  'PATCH /v1/organizations/:id/members/:userId': { role: 'viewer' },
  'POST /v1/organizations/:id/invitations': { email: uniqueEmail('guest'), role: 'front_desk' },
});

function fill(url: string): string {
  const values = fixtures();
  return url.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No fixture for :${name} in ${url}: add one to the cross-organization sweep`);
    return value;
  });
}

beforeAll(async () => {
  t = await buildTestApp({ modules });
  orgA = await organizationOf(await newUser(t.app, 'alice'), 'Harbour Hotels');
  orgB = await organizationOf(await newUser(t.app, 'mallory'), 'Rival Rentals');
  memberOfA = await newUser(t.app, 'bob');
  const invited = await call('POST', `/v1/organizations/${orgA.id}/invitations`, orgA.admin, {
    email: memberOfA.email,
    role: 'front_desk',
  });
  const accepted = await call('POST', '/v1/invitations/accept', memberOfA, { token: invited.json<{ token: string }>().token });
  expect(accepted.statusCode).toBe(200);
});
afterAll(() => t.close());

function sweptRoutes() {
  return t.app.routeTable
    .filter((route) => route.url.includes(':') || route.url.includes('*'))
    .filter((route) => !(`${route.method} ${route.url}` in outsideTheSweep));
}

describe('another organization’s objects', () => {
  it('covers every route with an id in its path', () => {
    const swept = sweptRoutes().map((route) => `${route.method} ${route.url}`);
    expect(swept).toEqual(expect.arrayContaining(['POST /v1/organizations/:id/switch', 'GET /v1/organizations/:id/members']));
    for (const route of sweptRoutes()) expect(() => fill(route.url)).not.toThrow();
  });

  it('answers 404 to an admin of another organization, on every such route', async () => {
    const answers: string[] = [];
    for (const route of sweptRoutes()) {
      const key = `${route.method} ${route.url}`;
      const reply = await call(route.method, fill(route.url), orgB.admin, bodies()[key]);
      answers.push(`${key} → ${reply.statusCode} ${reply.json<{ code?: string }>().code ?? ''}`);
    }
    expect(answers.filter((answer) => !/ → 404 /.test(answer))).toEqual([]);
  });

  it('answers the same requests for the organization’s own admin, so the sweep addresses real objects', async () => {
    const routes = sweptRoutes().sort((a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE'));
    for (const route of routes) {
      const key = `${route.method} ${route.url}`;
      const reply = await call(route.method, fill(route.url), orgA.admin, bodies()[key]);
      expect(reply.statusCode, `${key}: ${reply.body}`).toBeLessThan(300);
    }
  });
});
