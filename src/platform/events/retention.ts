import type { Database } from '../db/database.ts';

export async function purgeHandledEvents(db: Database, retentionDays: number): Promise<number> {
  void db;
  void retentionDays;
  return 0;
}
