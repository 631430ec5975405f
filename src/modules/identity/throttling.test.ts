import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from './index.ts';
import { loginThrottle } from './attempts.ts';
import { bearer, login, loginRequest, registerUser, strongPassword, uniqueEmail } from './test-support.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule] });
});
afterAll(() => t.close());

const wrongPassword = 'definitely-not-it-000';

describe('login throttling', () => {
  it(`lets ${loginThrottle.perAccount} failures of an account through, then answers 429 with Retry-After, even to the right password`, async () => {
    const email = uniqueEmail('acct');
    await registerUser(t.app, email);
    // Spread over addresses, so only the account's count can trip.
    for (let attempt = 1; attempt < loginThrottle.perAccount; attempt++) {
      expect((await loginRequest(t.app, email, wrongPassword, `10.10.0.${attempt}`)).statusCode).toBe(401);
    }
    // limit − 1 failures: the next attempt is still judged; a right password would pass.
    const atLimit = await loginRequest(t.app, email, wrongPassword, '10.10.1.1');
    expect(atLimit.statusCode).toBe(401);
    // limit failures: every further attempt is refused before the password is looked at.
    const beyond = await loginRequest(t.app, email, strongPassword, '10.10.1.2');
    expect(beyond.statusCode).toBe(429);
    expect(beyond.json()).toMatchObject({ code: 'auth.too_many_attempts' });
    const retryAfter = Number(beyond.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(loginThrottle.windowSeconds - 60);
    expect(retryAfter).toBeLessThanOrEqual(loginThrottle.windowSeconds);
    expect((await loginRequest(t.app, email, wrongPassword, '10.10.1.3')).statusCode).toBe(429);
    // Refused attempts are not counted: once the oldest failure ages out, the account may try again.
    await sql`UPDATE auth_login_failure SET failed_at = failed_at - interval '15 minutes' WHERE email = ${email} AND ip = '10.10.0.1'`.execute(
      t.database.db,
    );
    expect((await loginRequest(t.app, email, strongPassword, '10.10.1.4')).statusCode).toBe(200);
  });

  it('resets the account count after a successful sign-in', async () => {
    const email = uniqueEmail('reset');
    await registerUser(t.app, email);
    for (let attempt = 1; attempt < loginThrottle.perAccount; attempt++) {
      expect((await loginRequest(t.app, email, wrongPassword, '10.20.0.1')).statusCode).toBe(401);
    }
    expect((await loginRequest(t.app, email, strongPassword, '10.20.0.1')).statusCode).toBe(200);
    for (let attempt = 1; attempt <= loginThrottle.perAccount; attempt++) {
      expect((await loginRequest(t.app, email, wrongPassword, '10.20.0.1')).statusCode).toBe(401);
    }
    expect((await loginRequest(t.app, email, wrongPassword, '10.20.0.1')).statusCode).toBe(429);
  });

  it('throttles an address after its failures on any accounts, known or not, and never says which exist', async () => {
    const ip = '10.30.0.1';
    const known = uniqueEmail('ipknown');
    await registerUser(t.app, known);
    // limit − 1 failures across many e-mails (fewer than the account limit on each).
    for (let attempt = 1; attempt < loginThrottle.perIp; attempt++) {
      const email = attempt % 2 === 0 ? known.replace('@', `+${attempt}@`) : uniqueEmail('ghost');
      expect((await loginRequest(t.app, email, wrongPassword, ip)).statusCode).toBe(401);
    }
    expect((await loginRequest(t.app, uniqueEmail('ghost'), wrongPassword, ip)).statusCode).toBe(401);
    const beyond = await loginRequest(t.app, known, strongPassword, ip);
    expect(beyond.statusCode).toBe(429);
    expect(Number(beyond.headers['retry-after'])).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await loginRequest(t.app, known, strongPassword, '10.30.0.2')).statusCode).toBe(200);
  });
});

describe('wrong current passwords', () => {
  const changePassword = (accessToken: string, currentPassword: string, remoteAddress = '10.50.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/v1/users/me/password',
      headers: bearer(accessToken),
      payload: { currentPassword, newPassword: 'emerald-forest-bicycle-8' },
      remoteAddress,
    });
  const failuresOf = async (email: string) =>
    (
      await t.database.db
        .selectFrom('authLoginFailure')
        .select('ip')
        .where('email', '=', email)
        .where('countsForAccount', '=', true)
        .execute()
    ).map((row) => row.ip);

  it('count as failed sign-ins of the account, committed although refused, until 429 with Retry-After', async () => {
    const email = uniqueEmail('pwthrottle');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    for (let attempt = 1; attempt <= loginThrottle.perAccount; attempt++) {
      const wrong = await changePassword(session.accessToken, wrongPassword);
      expect(wrong.statusCode).toBe(403);
      expect(wrong.json()).toMatchObject({ code: 'user.wrong_password' });
      expect(await failuresOf(email)).toHaveLength(attempt);
    }
    expect(await failuresOf(email)).toEqual(Array(loginThrottle.perAccount).fill('10.50.0.1'));
    // Over the limit, even the right password is refused before it is looked at, here and at sign-in.
    const throttled = await changePassword(session.accessToken, strongPassword);
    expect(throttled.statusCode).toBe(429);
    expect(throttled.json()).toMatchObject({ code: 'auth.too_many_attempts' });
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(loginThrottle.windowSeconds - 60);
    expect((await loginRequest(t.app, email, strongPassword, '10.50.0.2')).statusCode).toBe(429);

    await sql`UPDATE auth_login_failure SET failed_at = failed_at - interval '15 minutes' WHERE email = ${email}`.execute(t.database.db);
    expect((await changePassword(session.accessToken, strongPassword)).statusCode).toBe(204);
    // The right password clears the account's count, as a sign-in does.
    expect(await failuresOf(email)).toEqual([]);
  });

  it('count together with failed sign-ins', async () => {
    const email = uniqueEmail('pwmixed');
    await registerUser(t.app, email);
    const session = await login(t.app, email);
    for (let attempt = 1; attempt < loginThrottle.perAccount; attempt++) {
      expect((await loginRequest(t.app, email, wrongPassword, `10.60.0.${attempt}`)).statusCode).toBe(401);
    }
    expect((await changePassword(session.accessToken, wrongPassword)).statusCode).toBe(403);
    expect((await changePassword(session.accessToken, strongPassword)).statusCode).toBe(429);
  });
});
