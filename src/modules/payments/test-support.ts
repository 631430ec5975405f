import { sql } from 'kysely';
import type { TestApp } from '../../../test/helpers/app.ts';
import { startTestRelay } from '../../../test/helpers/events.ts';
import { createTestDatabase } from '../../../test/helpers/database.ts';
import { buildTestApp } from '../../../test/helpers/app.ts';
import type { EventRelay } from '../../platform/events/relay.ts';
import { subscribersOf, type TenureModule } from '../../platform/module.ts';
import { bookingModules, expectStatus, type Host, http, newOrganization, type Session, uniqueEmail } from '../bookings/test-support.ts';
import { invoicesModule } from '../invoices/index.ts';
import { withRelay } from '../invoices/test-support.ts';
import { ledgerModule } from '../ledger/index.ts';
import { paymentsContext } from './context.ts';
import type { PaymentView } from './history.ts';
import { paymentsModule } from './index.ts';
import type { WebhookDelivery } from './providers/port.ts';
import { deliverDueSandboxEvents } from './sandbox-delivery.ts';
import { receiveWebhook, type WebhookResult } from './webhooks.ts';

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

/** `hostedPaymentsApp` with `moneyRelay` running; `t.close()` stops the relay too. */
export async function relayedPaymentsApp(label: string, config: Record<string, string> = {}): Promise<{ t: TestApp; host: Host }> {
  const { t, host } = await hostedPaymentsApp(label, config);
  return { t: withRelay(t, await moneyRelay(t)), host };
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

/**
 * The reports the sandbox's clock, moved `seconds` ahead, makes due — signed and ready, but not
 * delivered: a test delivers them when and as often as it likes (`receiveSandboxEvent`).
 */
export async function collectSandboxEvents(t: TestApp, seconds = 3600): Promise<WebhookDelivery[]> {
  const deliveries: WebhookDelivery[] = [];
  await deliverDueSandboxEvents(t.database.db, paymentsContext(t.config), {
    now: new Date(Date.now() + seconds * 1000),
    deliver: async (delivery) => deliveries.push(delivery),
  });
  return deliveries;
}

/** A sandbox webhook delivered through the webhook use case, verified at the moment it was signed for. */
export function receiveSandboxEvent(t: TestApp, delivery: WebhookDelivery): Promise<WebhookResult> {
  return receiveWebhook(t.database.db, paymentsContext(t.config), 'sandbox', delivery);
}

/** A customer of the organization, made by staff. */
export async function newCustomer(t: TestApp, host: Host, firstName = 'Bob'): Promise<string> {
  const body = { firstName, lastName: 'Renter', email: uniqueEmail(firstName.toLowerCase()) };
  return expectStatus<{ id: string }>(await http(t).post('/v1/customers', host.admin, body), 201).id;
}

/** A US checking account of a customer (who pays from it) or an owner (who is paid out to it). */
export async function bankAccountOf(
  t: TestApp,
  host: Host,
  holder: { type: 'customer' | 'owner'; id: string },
  accountNumber: string,
  currency = 'EUR',
): Promise<string> {
  const body = {
    holderType: holder.type,
    holderId: holder.id,
    holderName: 'Marina Costa',
    country: 'US',
    currency,
    accountType: 'checking',
    routingNumber: '021000021',
    accountNumber,
  };
  return expectStatus<{ id: string }>(await http(t).post('/v1/bank-accounts', host.admin, body), 201).id;
}

export type PaymentReply = PaymentView & { expectedSettlementAt: string | null };

/** GET /v1/payments/:id answering 200. */
export async function paymentOf(t: TestApp, session: Session, paymentId: string): Promise<PaymentReply> {
  return expectStatus<PaymentReply>(await http(t).get(`/v1/payments/${paymentId}`, session), 200);
}

export interface WalletBalance {
  currency: string;
  available: number;
  pending: number;
  inTransit: number;
}

/** An owner's wallet in one currency (all zero before anything moved), as staff (naming the owner) or the owner see it. */
export async function walletOf(t: TestApp, session: Session, ownerId?: string, currency = 'EUR'): Promise<WalletBalance> {
  const reply = await http(t).get(`/v1/wallet${ownerId ? `?ownerId=${ownerId}` : ''}`, session);
  const { balances } = expectStatus<{ balances: WalletBalance[] }>(reply, 200);
  return balances.find((balance) => balance.currency === currency) ?? { currency, available: 0, pending: 0, inTransit: 0 };
}
