import { type Expression, type Selectable, type SqlBool, sql } from 'kysely';
import type { Queryable, Tx } from '../../platform/db/database.ts';
import { countRows, escapeLike } from '../../platform/db/queries.ts';
import type { Customer } from '../../platform/db/schema.ts';

/** The customers module's SQL: the `customer` table only, acting in the transaction's organization. */

export type CustomerRow = Selectable<Customer>;

/** `own` scope: only the rows whose login is this user. */
export interface RowScope {
  userId?: string;
}

export function actingOrganization(db: Queryable): Promise<string> {
  return sql<{ orgId: string | null }>`SELECT tenure_current_org() AS org_id`.execute(db).then(({ rows }) => {
    const orgId = rows[0]?.orgId;
    if (!orgId) throw new Error('No acting organization: customers are kept per organization');
    return orgId;
  });
}

export function customerRow(db: Queryable, id: string, scope: RowScope = {}, options: { forUpdate?: boolean } = {}) {
  let query = db.selectFrom('customer').selectAll().where('id', '=', id);
  if (scope.userId !== undefined) query = query.where('userId', '=', scope.userId);
  return (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** Locks both rows in one order, whoever asks first, so two merges of the same pair cannot deadlock. */
export async function lockCustomers(tx: Tx, ids: string[]): Promise<CustomerRow[]> {
  return tx.selectFrom('customer').selectAll().where('id', 'in', ids).orderBy('id').forUpdate().execute();
}

export function insertCustomer(
  tx: Tx,
  values: Omit<CustomerRow, 'createdAt' | 'updatedAt' | 'kycStatus' | 'blacklisted' | 'address'> & { address?: CustomerRow['address'] },
): Promise<CustomerRow> {
  return tx.insertInto('customer').values(values).returningAll().executeTakeFirstOrThrow();
}

/** Inserts the user's own record unless one exists (two first bookings at once make one record). */
export function insertCustomerOfUser(
  tx: Tx,
  values: Pick<CustomerRow, 'id' | 'orgId' | 'userId' | 'firstName' | 'lastName' | 'email'>,
): Promise<CustomerRow | undefined> {
  return tx
    .insertInto('customer')
    .values(values)
    .onConflict((conflict) =>
      conflict
        .columns(['orgId', 'userId'])
        .where((eb) => eb.and([eb('userId', 'is not', null), eb('mergedIntoId', 'is', null)]))
        .doNothing(),
    )
    .returningAll()
    .executeTakeFirst();
}

export function updateCustomer(
  tx: Tx,
  id: string,
  changes: Partial<Omit<CustomerRow, 'id' | 'orgId' | 'createdAt'>>,
): Promise<CustomerRow> {
  return tx
    .updateTable('customer')
    .set({ ...changes, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The live records whose login is this user, then merged ones, newest first. */
export function customersOfUser(db: Queryable, userId: string) {
  return db
    .selectFrom('customer')
    .selectAll()
    .where('userId', '=', userId)
    .orderBy(sql`merged_into_id IS NULL`, 'desc')
    .orderBy('createdAt', 'desc')
    .execute();
}

export async function liveCustomerIdsWithEmail(db: Queryable, email: string, except: string): Promise<string[]> {
  const rows = await db
    .selectFrom('customer')
    .select('id')
    .where('email', '=', email)
    .where('mergedIntoId', 'is', null)
    .where('id', '!=', except)
    .orderBy('createdAt')
    .execute();
  return rows.map((row) => row.id);
}

export interface CustomerSearch {
  q?: string;
  blacklisted?: boolean;
  includeMerged: boolean;
  limit: number;
  offset: number;
}

/** The expression the trigram index is built on (migration 0012): the same text, so the index serves it. */
const fullName = sql<string>`(first_name || ' ' || last_name)`;

export async function searchCustomers(
  db: Queryable,
  search: CustomerSearch,
  scope: RowScope,
): Promise<{ rows: CustomerRow[]; total: number }> {
  const { q } = search;
  const conditions = (): Expression<SqlBool>[] => {
    const list: Expression<SqlBool>[] = [];
    if (scope.userId !== undefined) list.push(sql<SqlBool>`user_id = ${scope.userId}`);
    if (!search.includeMerged) list.push(sql<SqlBool>`merged_into_id IS NULL`);
    if (search.blacklisted !== undefined) list.push(sql<SqlBool>`blacklisted = ${search.blacklisted}`);
    if (q !== undefined) {
      const like = `%${escapeLike(q)}%`;
      const digits = q.replace(/[^0-9]/g, '');
      const matches = [sql<SqlBool>`${fullName} ILIKE ${like}`, sql<SqlBool>`${fullName} % ${q}`, sql<SqlBool>`email ILIKE ${like}`];
      if (digits.length >= 3) matches.push(sql<SqlBool>`phone LIKE ${`%${digits}%`}`);
      list.push(sql<SqlBool>`(${sql.join(matches, sql` OR `)})`);
    }
    return list;
  };
  const where = (eb: { and: (list: Expression<SqlBool>[]) => Expression<SqlBool> }) => eb.and(conditions());
  let query = db.selectFrom('customer').selectAll().where(where);
  if (q !== undefined) query = query.orderBy(sql`similarity(${fullName}, ${q})`, 'desc');
  const rows = await query.orderBy('lastName').orderBy('firstName').orderBy('id').limit(search.limit).offset(search.offset).execute();
  return { rows, total: await countRows(db.selectFrom('customer').where(where)) };
}
