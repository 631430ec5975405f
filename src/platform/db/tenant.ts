import { sql, type Transaction } from 'kysely';
import { uuidPattern } from '../ids.ts';
import type { Database } from './database.ts';
import type { DB } from './schema.ts';

/**
 * Tenant isolation, the application's side (docs/decisions/0012-row-level-security.md). Every
 * business table is held by row-level security to `org_id = tenure_current_org()`, the
 * organization named by the transaction's `tenure.org_id` setting: a transaction sees and writes
 * only that organization's rows, and none at all when no organization is set.
 */

/**
 * Names the organization the transaction acts for, until it ends (`set_config(…, true)`, the
 * function form of `SET LOCAL`); null names none, so business tables show no rows. Request
 * transactions and event subscribers' transactions call it already; jobs call it themselves.
 */
export async function withTenant(tx: Transaction<DB>, orgId: string | null): Promise<void> {
  if (orgId !== null && !uuidPattern.test(orgId)) throw new TypeError(`An organization id is a UUID, not ${JSON.stringify(orgId)}`);
  await sql`SELECT set_config('tenure.org_id', ${orgId ?? ''}, true)`.execute(tx);
}

/** Runs `work` in one transaction acting for the organization (for jobs and scripts). */
export function transactionAsTenant<T>(
  db: Database,
  orgId: string | null,
  work: (tx: Transaction<DB>) => Promise<T>,
  options: { readOnly?: boolean } = {},
): Promise<T> {
  const builder = options.readOnly ? db.transaction().setAccessMode('read only') : db.transaction();
  return builder.execute(async (tx) => {
    await withTenant(tx, orgId);
    return work(tx);
  });
}
