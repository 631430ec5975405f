import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionIdOf } from '../../../test/helpers/accounts.ts';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { signingKeySecrets } from '../../platform/config.ts';
import { identityModule } from './index.ts';
import { login, refreshRequest, registerUser, uniqueEmail } from './test-support.ts';
import { createSigningKey, keyLifetimeSeconds } from './tokens.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule] });
});
afterAll(() => t.close());

const hour = 3600_000;
const day = 24 * hour;
const ago = (ms: number) => new Date(Date.now() - ms);

async function newSession(email: string): Promise<string> {
  const session = await login(t.app, email);
  return sessionIdOf(session.accessToken);
}

async function endedAt(sessionId: string, when: Date): Promise<void> {
  await sql`UPDATE auth_session SET created_at = ${ago(60 * day)}, ended_at = ${when}, end_reason = 'logout' WHERE id = ${sessionId}`.execute(
    t.database.db,
  );
}

async function refreshTokensExpireAt(sessionId: string, when: Date): Promise<void> {
  await sql`UPDATE auth_refresh_token SET issued_at = ${ago(60 * day)}, expires_at = ${when} WHERE session_id = ${sessionId}`.execute(
    t.database.db,
  );
}

/** A key created so that it retired at `retiredAt`. */
async function keyRetiredAt(retiredAt: Date): Promise<string> {
  return createSigningKey(t.database.db, signingKeySecrets(t.config), new Date(retiredAt.getTime() - keyLifetimeSeconds * 1000));
}

async function remaining() {
  const db = t.database.db;
  return {
    failures: (await db.selectFrom('authLoginFailure').select('email').orderBy('email').execute()).map((row) => row.email),
    sessions: new Set((await db.selectFrom('authSession').select('id').execute()).map((row) => row.id)),
    tokensOf: async (sessionId: string) =>
      (await db.selectFrom('authRefreshToken').select('id').where('sessionId', '=', sessionId).execute()).length,
    keys: new Set((await db.selectFrom('authSigningKey').select('kid').execute()).map((row) => row.kid)),
  };
}

describe('identity.cleanup.v1', () => {
  it('is scheduled daily', () => {
    const job = identityModule.jobs?.find((definition) => definition.name === 'identity.cleanup.v1');
    expect(job?.schedule).toMatch(/^\d+ \d+ \* \* \*$/);
  });

  it('deletes exactly the stale login failures, sessions with their refresh tokens, and retired keys', async () => {
    const email = uniqueEmail('cleanup');
    await registerUser(t.app, email);

    for (const [label, failedAt] of [
      ['stale', ago(16 * 60_000)],
      ['recent', ago(14 * 60_000)],
      ['now', new Date()],
    ] as const) {
      await t.database.db
        .insertInto('authLoginFailure')
        .values({ email: `${label}@example.test`, ip: '10.70.0.1', failedAt })
        .execute();
    }

    const endedLongAgo = await newSession(email);
    const refreshed = await login(t.app, email);
    await refreshRequest(t.app, refreshed.refreshToken);
    const endedLongAgoRefreshed = sessionIdOf(refreshed.accessToken);
    const endedRecently = await newSession(email);
    const expiredLongAgo = await newSession(email);
    const expiredRecently = await newSession(email);
    const active = await newSession(email);
    await endedAt(endedLongAgo, ago(31 * day));
    await endedAt(endedLongAgoRefreshed, ago(31 * day));
    await endedAt(endedRecently, ago(29 * day));
    await refreshTokensExpireAt(expiredLongAgo, ago(31 * day));
    await refreshTokensExpireAt(expiredRecently, ago(29 * day));

    const retiredDaysAgo = await keyRetiredAt(ago(2 * day));
    const retiredHoursAgo = await keyRetiredAt(ago(12 * hour));
    const before = await remaining();
    const tokensOfRefreshed = await before.tokensOf(endedLongAgoRefreshed);
    expect(tokensOfRefreshed).toBe(2);

    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const job = identityModule.jobs!.find((definition) => definition.name === 'identity.cleanup.v1')!;
    await job.handle({}, { db: t.database.db, logger, config: t.config });

    const deleted = { loginFailures: 1, sessions: 3, refreshTokens: 1 + tokensOfRefreshed + 1, signingKeys: 1 };
    expect(lines).toEqual([expect.objectContaining({ ...deleted, msg: 'stale login failures, sessions and signing keys deleted' })]);

    const after = await remaining();
    expect(after.failures).toEqual(['now@example.test', 'recent@example.test']);
    for (const gone of [endedLongAgo, endedLongAgoRefreshed, expiredLongAgo]) {
      expect(after.sessions.has(gone)).toBe(false);
      expect(await after.tokensOf(gone)).toBe(0);
    }
    for (const kept of [endedRecently, expiredRecently, active]) {
      expect(after.sessions.has(kept)).toBe(true);
      expect(await after.tokensOf(kept)).toBe(1);
    }
    expect(after.sessions.size).toBe(before.sessions.size - 3);
    expect(after.keys.has(retiredDaysAgo)).toBe(false);
    expect(after.keys.has(retiredHoursAgo)).toBe(true);
    expect(after.keys.size).toBe(before.keys.size - 1);
  });
});
