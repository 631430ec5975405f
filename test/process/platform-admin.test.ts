/**
 * The first platform admin without SQL, as an operator makes one: `npm run admin:create` as a child
 * process (on DATABASE_URL's database, on the data folder of a running platform, on a stopped one),
 * and `PLATFORM_ADMIN_EMAIL` read by the real start-up.
 */
import { describe, expect, it, type TestContext } from 'vitest';
import { platformOrganizationId } from '../../src/modules/organizations/index.ts';
import { testPassword, uniqueEmail } from '../helpers/accounts.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/database.ts';
import { describeExit, matchesMessage, postmasterPid, ProcessHarness, waitUntilNoProcessMentions } from '../helpers/process.ts';

const anyText = expect.any(String) as unknown;

const slow = { timeout: 150_000 };

function processesOf({ onTestFinished }: TestContext): ProcessHarness {
  const harness = new ProcessHarness();
  onTestFinished(() => harness.cleanup());
  return harness;
}

async function databaseOf({ onTestFinished }: TestContext): Promise<TestDatabase> {
  const database = await createTestDatabase({ poolMax: 2 });
  onTestFinished(() => database.drop());
  return database;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run admin:create -- <args>` (the script it names) to its end. */
async function adminCreate(harness: ProcessHarness, args: string[], env: Record<string, string>, dataDir?: string): Promise<Run> {
  const child = harness.spawn({ script: 'scripts/admin-create.ts', args, dataDir: dataDir ?? (await harness.dataDir()), env });
  const exit = await child.waitForExit(120_000);
  if (exit.signal) throw new Error(`admin:create ended by ${describeExit(exit)}\n${child.output()}`);
  return { code: exit.code, stdout: child.stdout, stderr: child.stderr };
}

async function platformRoleOf(database: TestDatabase, email: string): Promise<string | undefined> {
  const row = await database.db
    .selectFrom('membership')
    .innerJoin('userAccount', 'userAccount.id', 'membership.userId')
    .select('membership.role')
    .where('membership.organizationId', '=', platformOrganizationId)
    .where('userAccount.email', '=', email)
    .executeTakeFirst();
  return row?.role;
}

async function signInAndSwitch(url: string, email: string): Promise<{ status: number; body: { organization?: { role: string } } }> {
  const login = await fetch(`${url}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: testPassword }),
  });
  expect(login.status).toBe(200);
  const { accessToken } = (await login.json()) as { accessToken: string };
  const switched = await fetch(`${url}/v1/organizations/${platformOrganizationId}/switch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  return { status: switched.status, body: (await switched.json()) as { organization?: { role: string } } };
}

describe.concurrent('npm run admin:create', () => {
  it('on DATABASE_URL: opens the account and makes it a platform admin, once; refuses bad input with one line', slow, async (context) => {
    const harness = processesOf(context);
    const database = await databaseOf(context);
    const email = uniqueEmail('cli-admin');
    const on = { DATABASE_URL: database.url };

    const noEmail = await adminCreate(harness, [], on);
    expect(noEmail).toMatchObject({ code: 1, stderr: 'admin:create failed: usage: npm run admin:create -- --email someone@example.com\n' });
    const notAnEmail = await adminCreate(harness, ['--email', 'nobody'], on);
    expect(notAnEmail.code).toBe(1);
    expect(notAnEmail.stderr).toMatch(/^admin:create failed: "nobody" is not an e-mail address; usage: .*\n$/);

    // Without a terminal to ask in, a new account needs PLATFORM_ADMIN_PASSWORD.
    const noPassword = await adminCreate(harness, ['--email', email], on);
    expect(noPassword).toMatchObject({
      code: 1,
      stderr: `admin:create failed: no account uses ${email} yet: set PLATFORM_ADMIN_PASSWORD, or run this in a terminal to be asked for one\n`,
    });
    const weak = await adminCreate(harness, ['--email', email], { ...on, PLATFORM_ADMIN_PASSWORD: 'password1234' });
    expect(weak).toMatchObject({ code: 1, stderr: 'admin:create failed: This password is too common; choose another\n' });
    expect(weak.stdout + weak.stderr).not.toContain('password1234');
    expect(await platformRoleOf(database, email)).toBeUndefined();

    const made = await adminCreate(harness, ['--email', email.toUpperCase()], { ...on, PLATFORM_ADMIN_PASSWORD: testPassword });
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toBe(`${email} is now an admin of the platform organization (account opened)\n`);
    expect(await platformRoleOf(database, email)).toBe('admin');

    const again = await adminCreate(harness, [`--email=${email}`], on);
    expect(again).toMatchObject({ code: 0, stdout: `${email} is already an admin of the platform organization; nothing changed\n` });
  });

  it('beside a running platform on the embedded data folder: uses its PostgreSQL and leaves it running', slow, async (context) => {
    const harness = processesOf(context);
    const dataDir = await harness.dataDir();
    const takenPort = await harness.occupiedPort();
    const platform = await harness.start({ dataDir, env: { EMBEDDED_POSTGRES_PORT: String(takenPort) } });
    const postmaster = await postmasterPid(platform.process.clusterDir);
    const email = uniqueEmail('beside');

    const made = await adminCreate(harness, ['--email', email], { PLATFORM_ADMIN_PASSWORD: testPassword }, dataDir);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    expect(made.stdout).toContain(`using the embedded PostgreSQL already running on 127.0.0.1:${platform.postgresPort}`);
    expect(made.stdout).toContain(`${email} is now an admin of the platform organization (account opened)`);

    expect(await postmasterPid(platform.process.clusterDir)).toBe(postmaster);
    expect(platform.process.running).toBe(true);
    expect(await signInAndSwitch(platform.url, email)).toMatchObject({ status: 200, body: { organization: { role: 'admin' } } });
  });

  it('on a stopped embedded data folder: starts PostgreSQL for itself, migrates, and stops it again', slow, async (context) => {
    const harness = processesOf(context);
    const dataDir = await harness.dataDir();
    const takenPort = await harness.occupiedPort();
    const email = uniqueEmail('offline');

    const made = await adminCreate(
      harness,
      ['--email', email],
      { PLATFORM_ADMIN_PASSWORD: testPassword, EMBEDDED_POSTGRES_PORT: String(takenPort) },
      dataDir,
    );
    expect(made.code, made.stdout + made.stderr).toBe(0);
    expect(made.stdout).toMatch(/applied 0001_platform_foundation\.sql/);
    expect(made.stdout).toContain(`${email} is now an admin of the platform organization (account opened)`);
    expect(await postmasterPid(`${dataDir}/cluster`)).toBeUndefined();
    expect(await waitUntilNoProcessMentions(dataDir)).toEqual([]);

    // The platform started afterwards on that folder knows the admin.
    const platform = await harness.start({ dataDir, env: { EMBEDDED_POSTGRES_PORT: String(takenPort) } });
    expect(await signInAndSwitch(platform.url, email)).toMatchObject({ status: 200, body: { organization: { role: 'admin' } } });
  });
});

describe('PLATFORM_ADMIN_EMAIL at start-up', () => {
  it('makes the first platform admin on the first start and changes nothing on the next', slow, async (context) => {
    const harness = processesOf(context);
    const database = await databaseOf(context);
    const email = uniqueEmail('first');
    const env = { DATABASE_URL: database.url, PLATFORM_ADMIN_EMAIL: email, PLATFORM_ADMIN_PASSWORD: testPassword };
    const dataDir = await harness.dataDir();

    const first = await harness.start({ dataDir, env });
    const made = first.process.logs.find((line) =>
      matchesMessage(line, 'PLATFORM_ADMIN_EMAIL is now an admin of the platform organization'),
    );
    expect(made).toMatchObject({ accountOpened: true, userId: anyText });
    expect(first.process.stdout).not.toContain(testPassword);
    expect(await signInAndSwitch(first.url, email)).toMatchObject({ status: 200, body: { organization: { role: 'admin' } } });
    await first.process.stop('SIGTERM');

    const second = await harness.start({ dataDir, env: { ...env, PLATFORM_ADMIN_EMAIL: uniqueEmail('second') } });
    expect(second.process.hasLog('the platform organization has an admin already; PLATFORM_ADMIN_EMAIL is left unused')).toBe(true);
    expect(await platformRoleOf(database, email)).toBe('admin');
    const members = await database.db
      .selectFrom('membership')
      .select('userId')
      .where('organizationId', '=', platformOrganizationId)
      .execute();
    expect(members).toHaveLength(1);
  });

  it('stops start-up with one line when the password would not be accepted at registration', slow, async (context) => {
    const harness = processesOf(context);
    const database = await databaseOf(context);
    const tenure = harness.spawn({
      dataDir: await harness.dataDir(),
      env: { DATABASE_URL: database.url, PLATFORM_ADMIN_EMAIL: uniqueEmail('weak'), PLATFORM_ADMIN_PASSWORD: 'password1234' },
    });
    const exit = await tenure.waitForExit(60_000);
    expect(exit.code).toBe(1);
    expect(
      tenure.hasLog(
        "start-up failed: PLATFORM_ADMIN_EMAIL could not be made the platform's admin: This password is too common; choose another",
      ),
    ).toBe(true);
    expect(tenure.stdout + tenure.stderr).not.toContain('password1234');
  });
});
