import type { SelectQueryBuilder } from 'kysely';
import type { DB } from './schema.ts';

/** Small pieces of SQL that the modules' stores share. */

/** How many rows a query selects: `count(*)` over its FROM and WHERE (pass it without a select list); bigint reads as a number. */
export async function countRows<TB extends keyof DB>(query: SelectQueryBuilder<DB, TB, object>): Promise<number> {
  const { total } = await query.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  return total;
}

/** Text for a `LIKE` / `ILIKE` pattern, matched literally: its `\`, `%` and `_` escaped. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (character) => `\\${character}`);
}
