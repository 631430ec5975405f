import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { parcelMoved, publishCommitted, startTestRelay } from '../../../test/helpers/events.ts';
import { waitFor } from '../../../test/helpers/wait.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { identityModule } from '../identity/index.ts';
import { platformOrganizationId } from './access.ts';
import { grantPlatformAdmin, organizationsModule } from './index.ts';
import { bearer, createOrganization, newUser, type Session, switchTo } from './test-support.ts';

/**
 * The operations endpoints of parked events, opened to admins acting in the platform organization
 * (`platform_operations` in the matrix) beside the operator token, which stays the break-glass way in.
 */
const operatorToken = 'operator-token-for-the-platform-operations-tests';
let t: TestApp;
let relay: EventRelay;
let parkedEventId: string;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule, organizationsModule], config: { OPERATOR_TOKEN: operatorToken } });
  relay = await startTestRelay(
    t.database,
    [
      {
        name: 'ledger',
        eventTypes: [parcelMoved],
        handle: () => Promise.reject(new Error('account is frozen')),
      },
    ],
    { config: { OUTBOX_MAX_ATTEMPTS: '1' } },
  );
  parkedEventId = (await publishCommitted(t.database.db, 'parcel-stuck')).id;
  await waitFor(
    async () =>
      (await sql<{ parked: number }>`SELECT count(*)::int AS parked FROM event_delivery WHERE status = 'parked'`.execute(t.database.db))
        .rows[0]?.parked === 1,
    { message: 'the delivery to park' },
  );
});
afterAll(async () => {
  await relay.stop();
  await t.close();
});

type Credential = Session | string;
const headersOf = (credential: Credential) => bearer(typeof credential === 'string' ? credential : credential.accessToken);

/** The three operations, as the given caller. */
function operate(credential: Credential) {
  const headers = headersOf(credential);
  return Promise.all([
    t.app.inject({ method: 'GET', url: '/v1/admin/events/parked', headers }),
    t.app.inject({ method: 'POST', url: `/v1/admin/events/parked/ledger/${parkedEventId}/redrive`, headers }),
    t.app.inject({ method: 'POST', url: '/v1/admin/events/parked/redrive', headers, payload: { subscriber: 'nobody' } }),
  ]);
}

async function platformAdmin(label: string): Promise<Session> {
  const user = await newUser(t.app, label);
  await grantPlatformAdmin(t.database.db, { email: user.email, password: undefined });
  return switchTo(t.app, user, platformOrganizationId);
}

describe('the operations endpoints', () => {
  it('let an admin acting in the platform organization list and re-drive parked deliveries', async () => {
    const admin = await platformAdmin('operator');
    const listed = await t.app.inject({ method: 'GET', url: '/v1/admin/events/parked', headers: bearer(admin.accessToken) });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toMatchObject({
      total: 1,
      data: [{ subscriber: 'ledger', eventId: parkedEventId, lastError: 'Error: account is frozen' }],
    });
    const [, one, bulk] = await operate(admin);
    expect(one.json()).toEqual({ redriven: 1 });
    expect(bulk.json()).toEqual({ redriven: 0 });
  });

  it('refuse with 403 access.denied an admin of an ordinary organization, and a platform member who is no admin', async () => {
    let ada = await newUser(t.app, 'ordinary-admin');
    ada = await switchTo(t.app, ada, await createOrganization(t.app, ada));
    const viewer = await platformAdmin('demoted');
    await sql`UPDATE membership SET role = 'viewer' WHERE organization_id = ${platformOrganizationId} AND user_id = ${viewer.userId}`.execute(
      t.database.db,
    );
    for (const caller of [ada, viewer]) {
      for (const reply of await operate(caller)) expect(reply.json()).toMatchObject({ status: 403, code: 'access.denied' });
    }
  });

  it('refuse a platform admin acting in another organization, where the platform is not operated', async () => {
    const admin = await platformAdmin('elsewhere');
    const elsewhere = await switchTo(t.app, admin, await createOrganization(t.app, admin, 'Elsewhere'));
    for (const reply of await operate(elsewhere)) expect(reply.json()).toMatchObject({ status: 403, code: 'access.denied' });
    const nowhere = await newUser(t.app, 'nowhere');
    for (const reply of await operate(nowhere)) expect(reply.json()).toMatchObject({ status: 403, code: 'access.no_organization' });
  });

  it('still let the operator token in, and ask anyone else for it', async () => {
    // The single re-drive of the tests before may still be under way: the bulk one answers at once.
    const [listed, , bulk] = await operate(operatorToken);
    expect(listed.statusCode).toBe(200);
    expect(bulk.json()).toEqual({ redriven: 0 });
    for (const reply of await operate('x'.repeat(48))) expect(reply.json()).toMatchObject({ status: 401, code: 'auth.token_invalid' });
    const anonymous = await t.app.inject({ method: 'GET', url: '/v1/admin/events/parked' });
    expect(anonymous.json()).toMatchObject({ status: 401, code: 'operator.unauthenticated' });
  });

  it('without an operator token configured, serve platform admins and ask the anonymous to sign in', async () => {
    const closed = await buildTestApp({ modules: [identityModule, organizationsModule], database: t.database });
    try {
      const admin = await newUser(closed.app, 'no-token');
      await grantPlatformAdmin(t.database.db, { email: admin.email, password: undefined });
      const acting = await switchTo(closed.app, admin, platformOrganizationId);
      const listed = await closed.app.inject({ method: 'GET', url: '/v1/admin/events/parked', headers: bearer(acting.accessToken) });
      expect(listed.statusCode).toBe(200);
      const anonymous = await closed.app.inject({ method: 'GET', url: '/v1/admin/events/parked' });
      expect(anonymous.json()).toMatchObject({ status: 401, code: 'auth.unauthenticated' });
    } finally {
      await closed.close();
    }
  });
});
