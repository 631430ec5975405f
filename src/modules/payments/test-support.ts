import { sql } from 'kysely';
import type { TestApp } from '../../../test/helpers/app.ts';
import { startTestRelay } from '../../../test/helpers/events.ts';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { buildTestApp } from '../../../test/helpers/app.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { subscribersOf, type TenureModule } from '../../platform/module.ts';
import { bookingModules, type Host, newOrganization } from '../bookings/test-support.ts';
import { invoicesModule } from '../invoices/index.ts';
import { ledgerModule } from '../ledger/index.ts';
import { paymentsContext } from './context.ts';
import { paymentsModule } from './index.ts';
import { deliverDueSandboxEvents } from './sandbox-delivery.ts';

/** Helpers for the payments module's tests: the real application with every module money touches. */

export const paymentModules: TenureModule[] = [...bookingModules, ledgerModule, invoicesModule, paymentsModule];

export async function paymentsTestApp(config: Record<string, string> = {}, options: { poolMax?: number } = {}): Promise<TestApp> {
  const settings = { RATE_LIMIT_MAX: '1000000', ...config };
  if (options.poolMax === undefined) return buildTestApp({ modules: paymentModules, config: settings });
  const database = await createTestDatabase({ poolMax: options.poolMax });
  const t = await buildTestApp({ modules: paymentModules, config: settings, database });
  return {
    ...t,
    async close() {
      await t.close();
      await database.drop();
    },
  };
}

export async function hostedPaymentsApp(label: string, config: Record<string, string> = {}): Promise<{ t: TestApp; host: Host }> {
  const t = await paymentsTestApp(config);
  return { t, host: await newOrganization(t, label) };
}

/** The subscribers of every module money touches, running on the test's database. */
export function moneyRelay(t: TestApp): Promise<EventRelay> {
  return startTestRelay(t.database, subscribersOf(paymentModules, t.config));
}

/** The sandbox's clock moved `seconds` ahead: every report due by then is delivered. */
export function advanceSandbox(t: TestApp, seconds = 3600): Promise<number> {
  return deliverDueSandboxEvents(t.database.db, paymentsContext(t.config), { now: new Date(Date.now() + seconds * 1000) });
}

/** Debits minus credits of every account of the organization with that code, by party (the owner's view). */
export async function balancesOf(t: TestApp, orgId: string, code: string): Promise<Map<string | null, number>> {
  const { rows } = await sql<{ partyId: string | null; balance: string }>`
    SELECT party_id, balance::text FROM ledger_account WHERE org_id = ${orgId} AND code = ${code}
  `.execute(t.database.owner);
  return new Map(rows.map((row) => [row.partyId, Number(row.balance)]));
}

/** Whether every entry balances and every account's balance equals its postings (the owner's view). */
export async function ledgerConsistent(t: TestApp, orgId: string): Promise<{ unbalancedEntries: number; wrongBalances: number }> {
  const { rows } = await sql<{ unbalanced: string; wrong: string }>`
    SELECT
      (SELECT count(*) FROM (SELECT entry_id FROM ledger_posting WHERE org_id = ${orgId} GROUP BY entry_id, currency HAVING sum(amount) <> 0) u) AS unbalanced,
      (SELECT count(*) FROM ledger_account a WHERE a.org_id = ${orgId}
        AND a.balance <> coalesce((SELECT sum(p.amount) FROM ledger_posting p WHERE p.account_id = a.id), 0)) AS wrong
  `.execute(t.database.owner);
  return { unbalancedEntries: Number(rows[0]!.unbalanced), wrongBalances: Number(rows[0]!.wrong) };
}
