import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../../../test/helpers/app.ts';
import { identityModule } from './index.ts';
import type { SessionReply } from './schemas.ts';
import { bearer, eventsOfType, login, me, refreshRequest, registerUser, uniqueEmail } from './test-support.ts';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ modules: [identityModule] });
});
afterAll(() => t.close());

/** One sign-in as the model sees it: every refresh token it was given, and whether it still lives. */
interface Family {
  tokens: string[];
  accessToken: string;
  sessionId: string;
  alive: boolean;
}

type Operation = { kind: 'refresh'; family: number } | { kind: 'reuse'; family: number; pick: number } | { kind: 'logout'; family: number };

const families = 3;
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('refresh' as const), family: fc.nat(families - 1) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reuse' as const), family: fc.nat(families - 1), pick: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('logout' as const), family: fc.nat(families - 1) }) },
);

function sessionIdOf(accessToken: string): string {
  return (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string }).sid;
}

async function usableTokensBySession(sessionIds: string[]): Promise<Map<string, number>> {
  const { rows } = await sql<{ sessionId: string; usable: number }>`
    SELECT s.id AS session_id, count(t.id)::int AS usable
    FROM auth_session s
    LEFT JOIN auth_refresh_token t ON t.session_id = s.id AND t.used_at IS NULL AND t.revoked_at IS NULL AND t.expires_at > now()
    WHERE s.id = ANY(${sessionIds}::uuid[])
    GROUP BY s.id
  `.execute(t.database.db);
  return new Map(rows.map((row) => [row.sessionId, row.usable]));
}

describe('refresh-token families (property)', () => {
  it('keep at most one usable token per family, and a reused token always kills its family and only it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 14 }), async (operations) => {
        const email = uniqueEmail('prop');
        await registerUser(t.app, email);
        const model: Family[] = [];
        for (let i = 0; i < families; i++) {
          const session = await login(t.app, email);
          model.push({
            tokens: [session.refreshToken],
            accessToken: session.accessToken,
            sessionId: sessionIdOf(session.accessToken),
            alive: true,
          });
        }
        for (const op of operations) {
          const family = model[op.family]!;
          if (op.kind === 'refresh') {
            const reply = await refreshRequest(t.app, family.tokens.at(-1)!);
            expect(reply.statusCode).toBe(family.alive ? 200 : 401);
            if (reply.statusCode === 200) {
              const next = reply.json<SessionReply>();
              family.tokens.push(next.refreshToken);
              family.accessToken = next.accessToken;
            }
          } else if (op.kind === 'reuse') {
            if (family.tokens.length < 2) continue;
            const stale = family.tokens[op.pick % (family.tokens.length - 1)]!;
            const before = (await eventsOfType(t.database.db, 'session.refresh_token_reused')).length;
            const reply = await refreshRequest(t.app, stale);
            expect(reply.statusCode).toBe(401);
            const incidents = (await eventsOfType(t.database.db, 'session.refresh_token_reused')).length - before;
            // The incident is recorded once, when it kills a living family.
            expect(incidents).toBe(family.alive ? 1 : 0);
            family.alive = false;
          } else {
            const reply = await t.app.inject({ method: 'POST', url: '/v1/auth/logout', headers: bearer(family.accessToken) });
            expect(reply.statusCode).toBe(family.alive ? 204 : 401);
            family.alive = false;
          }
          const usable = await usableTokensBySession(model.map((f) => f.sessionId));
          for (const f of model) expect(usable.get(f.sessionId)).toBe(f.alive ? 1 : 0);
        }
        // Every family's latest tokens work exactly when the model says it lives.
        for (const f of model) expect((await me(t.app, f.accessToken)).statusCode).toBe(f.alive ? 200 : 401);
        for (const f of model) expect((await refreshRequest(t.app, f.tokens.at(-1)!)).statusCode).toBe(f.alive ? 200 : 401);
      }),
      { numRuns: 20 },
    );
  });
});
