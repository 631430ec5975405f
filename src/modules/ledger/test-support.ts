import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { type Caller, systemCaller } from '../../platform/audit/change.ts';
import type { Database, Tx } from '../../platform/db/database.ts';
import { transactionAsTenant } from '../../platform/db/tenant.ts';
import type { AccountCode, Party } from './chart.ts';
import type { PostingLine } from './posting.ts';

/** Helpers for the ledger's tests: real transactions on the test's own database. */

export const testCaller = (orgId: string): Caller => systemCaller(orgId, { correlationId: 'ledger-test' });

export function inOrganization<T>(db: Database, orgId: string, work: (tx: Tx) => Promise<T>): Promise<T> {
  return transactionAsTenant(db, orgId, work);
}

export function line(code: AccountCode, amount: number, currency = 'EUR', party: Party | null = null): PostingLine {
  return { account: { code, currency, party }, amount };
}

export const customer = (id: string = randomUUID()): Party => ({ type: 'customer', id });
export const owner = (id: string = randomUUID()): Party => ({ type: 'owner', id });
export const provider = (id: 'sandbox' | 'stripe' | 'mpesa' = 'stripe'): Party => ({ type: 'provider', id });

/** A source event of some payment: a fresh one unless its id is given. */
export const paymentSource = (event = 'succeeded', id: string = randomUUID()) => ({ type: 'payment', id, event });

/** How many rows the organization has in each ledger table, read as the owner (beyond row-level security). */
export async function ledgerRowCounts(owner: Database, orgId: string) {
  const { rows } = await sql<{ entries: number; postings: number; accounts: number; events: number }>`
    SELECT (SELECT count(*) FROM journal_entry WHERE org_id = ${orgId}) AS entries,
           (SELECT count(*) FROM ledger_posting WHERE org_id = ${orgId}) AS postings,
           (SELECT count(*) FROM ledger_account WHERE org_id = ${orgId}) AS accounts,
           (SELECT count(*) FROM outbox_event WHERE tenant_id = ${orgId} AND type = 'journal_entry.posted') AS events
  `.execute(owner);
  return rows[0]!;
}

/** The data of the organization's `journal_entry.posted` events, in the order they were published. */
export async function postedEvents(owner: Database, orgId: string) {
  const { rows } = await sql<{ data: Record<string, unknown> }>`
    SELECT envelope -> 'data' AS data FROM outbox_event WHERE tenant_id = ${orgId} AND type = 'journal_entry.posted' ORDER BY seq
  `.execute(owner);
  return rows.map((row) => row.data);
}

export async function auditOf(owner: Database, orgId: string) {
  const { rows } = await sql<{ action: string; entityId: string; actorType: string; after: Record<string, unknown> | null }>`
    SELECT action, entity_id, actor_type, after FROM audit_log
    WHERE org_id = ${orgId} AND entity_type = 'journal_entry' ORDER BY occurred_at, id
  `.execute(owner);
  return rows;
}
