import type { BenchPostgres } from '../database.ts';
import type { ScenarioResult } from '../results.ts';
import type { BenchSettings } from '../settings.ts';

/** What every scenario is given: the settings, the server, and the migrated scratch database. */
export interface ScenarioContext {
  settings: BenchSettings;
  postgres: BenchPostgres;
  /** The migrated scratch database (with the bench's own `bench_thing` table). */
  database: { name: string; url: string };
  log: (message: string) => void;
}

/**
 * A scenario adds its measurements to `result` as it makes them, so that the ones made before a
 * failure stay in the report next to the error.
 */
export type Scenario = (context: ScenarioContext, result: ScenarioResult) => Promise<void>;

export function serverOptions(context: ScenarioContext) {
  return { databaseUrl: context.database.url, poolMax: context.settings.poolMax, logLevel: context.settings.serverLogLevel };
}
