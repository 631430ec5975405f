import { type ExpressionBuilder, type Insertable, type Selectable, type Updateable, sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows } from '../../platform/db/queries.ts';
import type { BankAccount, DB } from '../../platform/db/schema.ts';

/** The bank accounts' SQL: the `bank_account` table only, in the transaction's organization (row-level security). */

export type BankAccountRow = Selectable<BankAccount>;

export const holderTypes = ['owner', 'customer', 'organization'] as const;
export type HolderType = (typeof holderTypes)[number];

/** Whose account: an owner or a customer (by id), or the organization itself (no id). */
export interface Holder {
  type: HolderType;
  id: string | null;
}

/** The accounts a caller reaches, per holder type: every one of the type, or those of the listed holders; none for a type left out. */
export type BankAccountReach = Partial<Record<HolderType, 'all' | readonly string[]>>;

export function actingOrganization(db: Queryable): Promise<string> {
  return sql<{ orgId: string | null }>`SELECT tenure_current_org() AS org_id`.execute(db).then(({ rows }) => {
    const orgId = rows[0]?.orgId;
    if (!orgId) throw new Error('No acting organization: bank accounts are kept per organization');
    return orgId;
  });
}

/**
 * Serialises the changes to one holder's accounts until the transaction ends: two first accounts
 * added at once would both become primary, and a primary moved twice at once would leave two.
 */
export async function lockHolder(tx: Tx, orgId: string, holder: Holder): Promise<void> {
  const key = `bank_account:${orgId}:${holder.type}:${holder.id ?? ''}`;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(tx);
}

export function bankAccountById(db: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<BankAccountRow | undefined> {
  const query = db.selectFrom('bankAccount').selectAll().where('id', '=', id);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

function ofHolder(eb: ExpressionBuilder<DB, 'bankAccount'>, holder: Holder) {
  return eb.and([eb('holderType', '=', holder.type), holder.id === null ? eb('holderId', 'is', null) : eb('holderId', '=', holder.id)]);
}

/** The holder's active accounts, newest first. */
export function activeAccountsOf(db: Queryable, holder: Holder): Promise<BankAccountRow[]> {
  return db
    .selectFrom('bankAccount')
    .selectAll()
    .where((eb) => ofHolder(eb, holder))
    .where('active', '=', true)
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

export function insertBankAccount(tx: Tx, values: Insertable<BankAccount>): Promise<BankAccountRow> {
  return tx.insertInto('bankAccount').values(values).returningAll().executeTakeFirstOrThrow();
}

export function updateBankAccount(
  tx: Tx,
  id: string,
  changes: Pick<Updateable<BankAccount>, 'isPrimary' | 'active' | 'deactivatedAt'>,
): Promise<BankAccountRow> {
  return tx
    .updateTable('bankAccount')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

function reachOf(eb: ExpressionBuilder<DB, 'bankAccount'>, reach: BankAccountReach) {
  const branches = holderTypes.flatMap((type) => {
    const holders = reach[type];
    if (holders === undefined) return [];
    if (holders === 'all') return [eb('holderType', '=', type)];
    return holders.length === 0 ? [] : [eb.and([eb('holderType', '=', type), eb('holderId', 'in', holders)])];
  });
  return branches.length === 0 ? sql<boolean>`false` : eb.or(branches);
}

export interface BankAccountSearch {
  holderType?: HolderType | undefined;
  holderId?: string | undefined;
  active?: boolean | undefined;
  limit: number;
  offset: number;
}

/** The accounts within reach matching the filters: primary first, then newest first. */
export async function searchBankAccounts(
  db: Queryable,
  search: BankAccountSearch,
  reach: BankAccountReach,
): Promise<{ rows: BankAccountRow[]; total: number }> {
  let base = db.selectFrom('bankAccount').where((eb) => reachOf(eb, reach));
  if (search.holderType !== undefined) base = base.where('holderType', '=', search.holderType);
  if (search.holderId !== undefined) base = base.where('holderId', '=', search.holderId);
  if (search.active !== undefined) base = base.where('active', '=', search.active);
  const rows = await base
    .selectAll()
    .orderBy('isPrimary', 'desc')
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(search.limit)
    .offset(search.offset)
    .execute();
  return { rows, total: await countRows(base) };
}
