import type { Logger } from 'pino';
import type { Config } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import type { InjectingApp } from './client.ts';
import { type DemoSummary, seedDemo } from './seed.ts';

/**
 * Demo data: on the first start on an empty embedded database, a small story seeded through the
 * real API (see `seed.ts`) and a few lines on how to sign in.
 */
export { DemoStepError } from './client.ts';
export { demoAdmin, demoGuest, demoOrganizationName, type DemoOutcome, type DemoSummary, seedDemo } from './seed.ts';

/**
 * Why start-up leaves the database alone, or undefined when it seeds the demo: only with
 * DEMO_DATA=auto, in a process that serves the API, on the embedded database (never one given by
 * DATABASE_URL) while it holds no organization besides the platform's.
 */
export async function demoSkipReason(options: {
  config: Pick<Config, 'DEMO_DATA' | 'DATABASE_URL' | 'NODE_ENV'>;
  embedded: boolean;
  runsApi: boolean;
  db: Database;
}): Promise<string | undefined> {
  const { config } = options;
  if (config.DEMO_DATA === 'off') return 'DEMO_DATA=off';
  // The demo's accounts have published passwords: never in production.
  if (config.NODE_ENV === 'production') return 'NODE_ENV=production';
  if (config.DATABASE_URL !== undefined || !options.embedded) return 'the database is not the embedded one';
  if (!options.runsApi) return 'this process does not serve the API';
  const other = await options.db.selectFrom('organization').select('id').where('isPlatform', '=', false).limit(1).executeTakeFirst();
  if (other) return 'the database has organizations already';
  return undefined;
}

/**
 * Start-up's side: seeds the demo when `demoSkipReason` finds no reason not to, and prints how to
 * sign in. Never throws: a refused step is logged in one line (the step and the problem+json
 * reply) and the platform starts all the same.
 */
export async function seedDemoOnFirstStart(options: {
  app: InjectingApp;
  db: Database;
  /** The running configuration: the demo's money settles through the payments' sandbox and escrow with it. */
  config: Config;
  embedded: boolean;
  runsApi: boolean;
  /** Where the API listens, as shown to the reader. */
  url: string;
  logger: Pick<Logger, 'info' | 'error'>;
  print?: (text: string) => void;
}): Promise<void> {
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  try {
    const skip = await demoSkipReason(options);
    if (skip !== undefined) return;
    options.logger.info('seeding the demo data (DEMO_DATA=off skips it)');
    const outcome = await seedDemo({ app: options.app, db: options.db, config: options.config });
    if (outcome.status === 'skipped') {
      options.logger.info(`demo data not seeded: ${outcome.reason}`);
      return;
    }
    print(describeDemo(outcome, options.url));
  } catch (error) {
    // A refused step's message names the step, the status and the problem+json reply.
    const problem = error instanceof Error ? error.message : String(error);
    options.logger.error(`demo data not seeded, the platform starts without it: ${problem}`);
  }
}

/** The block printed after seeding: where to go, how to sign in, what is there. */
export function describeDemo(summary: DemoSummary, url: string): string {
  const statuses = new Map<string, number>();
  for (const booking of summary.bookings) statuses.set(booking.status, (statuses.get(booking.status) ?? 0) + 1);
  const lines = [
    '',
    '  Tenure demo data is ready',
    '',
    `  API         ${url}  (docs at ${url}/docs)`,
    `  Sign in     POST ${url}/v1/auth/login`,
    `    e-mail    ${summary.admin.email}`,
    `    password  ${summary.admin.password}`,
    `  Act in      ${summary.organization.name}: POST /v1/organizations/${summary.organization.id}/switch`,
    `              (the account is a platform admin too: it moderates listings)`,
    `  Guest       ${summary.guest.email} / ${summary.guest.password} (books from the marketplace)`,
    '',
    `  Created     ${summary.hotel.name}, Lisbon: ${String(summary.hotel.roomTypes)} room types, ${String(summary.hotel.rooms)} rooms, rate plans, a season, restrictions, city tax`,
    `              ${summary.apartments.name}, Nairobi: ${String(summary.apartments.unitTypes)} apartment types, ${String(summary.apartments.units)} apartments, monthly stays and leases`,
    `              ${String(summary.listings)} approved listings, ${String(summary.customers)} customers (one blacklisted), ${String(summary.bookings.length)} bookings: ${[
      ...statuses,
    ]
      .map(([status, count]) => `${String(count)} ${status}`)
      .join(', ')}`,
    '',
    '  DEMO_DATA=off skips the demo on a new database.',
    '',
  ];
  return `${lines.join('\n')}\n`;
}
