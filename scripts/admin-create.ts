/**
 * `npm run admin:create -- --email someone@example.com`: makes the account of that e-mail (opened
 * when missing) an admin of the platform organization, in one transaction with its audit entry.
 * A new account's password comes from PLATFORM_ADMIN_PASSWORD, or is asked for without echo in a
 * terminal. Uses DATABASE_URL, else the embedded PostgreSQL of EMBEDDED_POSTGRES_DIR: the one
 * already running there (the platform's) is used and left running, otherwise one is started for
 * the command and stopped after. Pending migrations are applied first. Exits 1 with one line when
 * anything fails.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { grantPlatformAdmin, type PlatformAdminOutcome } from '../src/modules/organizations/index.ts';
import { ConfigError, loadConfig } from '../src/platform/config.ts';
import { createDatabase, createPool, type Database } from '../src/platform/db/database.ts';
import { migrateDatabaseAt } from '../src/platform/db/scratch-database.ts';
import { type PostgresServer, reachPostgres } from '../src/platform/db/server.ts';
import { oneLine } from './one-line.ts';

const usage = 'usage: npm run admin:create -- --email someone@example.com';

class CommandError extends Error {}

function emailOf(argv: string[]): string {
  let email: string | undefined;
  try {
    email = parseArgs({ args: argv, options: { email: { type: 'string' } } }).values.email;
  } catch (error) {
    throw new CommandError(`${oneLine(error)}; ${usage}`);
  }
  if (email === undefined) throw new CommandError(usage);
  const parsed = z.email().safeParse(email.trim().toLowerCase());
  if (!parsed.success) throw new CommandError(`${JSON.stringify(email)} is not an e-mail address; ${usage}`);
  return parsed.data;
}

async function main(): Promise<number> {
  let server: PostgresServer | undefined;
  let db: Database | undefined;
  let exitCode = 0;
  try {
    const email = emailOf(process.argv.slice(2));
    const config = loadConfig();
    server = await reachPostgres(config, (message) => console.log(message));
    for (const name of await migrateDatabaseAt(server.url)) console.log(`applied ${name}`);
    db = createDatabase(createPool({ url: server.url, poolMax: 2 }));
    let outcome = await grantPlatformAdmin(db, { email, password: config.PLATFORM_ADMIN_PASSWORD });
    if (outcome.status === 'password_needed') outcome = await grantPlatformAdmin(db, { email, password: await askNewPassword(email) });
    console.log(describe(outcome, email));
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : `admin:create failed: ${oneLine(error)}`);
    exitCode = 1;
  }
  try {
    await db?.destroy();
    await server?.stop();
  } catch (error) {
    console.error(`admin:create could not stop the embedded PostgreSQL: ${oneLine(error)}`);
    exitCode = 1;
  }
  return exitCode;
}

function describe(outcome: PlatformAdminOutcome, email: string): string {
  switch (outcome.status) {
    case 'made_admin':
      return `${email} is now an admin of the platform organization${outcome.accountOpened ? ' (account opened)' : ''}`;
    case 'already_admin':
      return `${email} is already an admin of the platform organization; nothing changed`;
    default:
      throw new Error(`unexpected outcome ${outcome.status}`);
  }
}

/** The new account's password, typed twice in the terminal without being shown. */
async function askNewPassword(email: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CommandError(`no account uses ${email} yet: set PLATFORM_ADMIN_PASSWORD, or run this in a terminal to be asked for one`);
  }
  const password = await askHidden(`Password for the new account ${email}: `);
  if ((await askHidden('The same password again: ')) !== password) throw new CommandError('the two passwords differ');
  return password;
}

function askHidden(question: string): Promise<string> {
  const { stdin, stderr } = process;
  stderr.write(question);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (settle: () => void) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write('\n');
      settle();
    };
    const onData = (chunk: string) => {
      for (const character of chunk) {
        if (character === '\r' || character === '\n' || character === '\u0004') return finish(() => resolve(typed));
        if (character === '\u0003') return finish(() => reject(new CommandError('cancelled')));
        typed = character === '\u007f' || character === '\b' ? typed.slice(0, -1) : typed + character;
      }
    };
    stdin.on('data', onData);
  });
}

process.exitCode = await main();
