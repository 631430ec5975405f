/**
 * Runs the real `node --import tsx src/main.ts` (or a script) as a child process, reads its JSON log
 * lines, and cleans up after it: processes, embedded PostgreSQL servers, data folders, ports.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface LogLine {
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SpawnOptions {
  /** Script relative to the repository root. */
  script?: string;
  args?: string[];
  /** EMBEDDED_POSTGRES_DIR; also the folder whose PostgreSQL cleanup stops. */
  dataDir: string;
  env?: Record<string, string>;
}

/** Production refuses the development secrets; the children a test file starts share these. */
const signingKeySecrets = `process-tests:${randomBytes(32).toString('base64')}`;
const dataEncryptionKeys = `process-tests:${randomBytes(32).toString('base64')}`;

/**
 * The child sees only these variables and the test's own, never the test run's: DATABASE_URL in
 * particular stays unset, so the child starts its embedded PostgreSQL.
 */
function childEnv(options: SpawnOptions): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR', 'LANG'].flatMap((key) => (process.env[key] === undefined ? [] : [[key, process.env[key]]])),
  ) as NodeJS.ProcessEnv;
  return {
    ...inherited,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    EMBEDDED_POSTGRES_DIR: options.dataDir,
    SIGNING_KEY_SECRETS: signingKeySecrets,
    DATA_ENCRYPTION_KEYS: dataEncryptionKeys,
    DEMO_DATA: 'off',
    ...options.env,
  };
}

export class TenureProcess {
  readonly logs: LogLine[] = [];
  stdout = '';
  stderr = '';
  exitStatus: ExitStatus | undefined;
  readonly exited: Promise<ExitStatus>;
  private partialLine = '';

  constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => this.readStdout(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        resolve(this.exitStatus);
      });
    });
  }

  get clusterDir(): string {
    return path.join(this.dataDir, 'cluster');
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** The first log line that matches, waiting for it; fails when the process exits first. */
  async waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.logs.find(matches);
      if (found) return found;
      if (this.exitStatus)
        throw new Error(`the process exited (${describeExit(this.exitStatus)}) before the expected log line\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`no expected log line within ${timeoutMs} ms\n${this.output()}`);
      await delay(20);
    }
  }

  hasLog(message: string | RegExp): boolean {
    return this.logs.some((line) => matchesMessage(line, message));
  }

  /** Waits for the process to exit, failing after the timeout. */
  async waitForExit(timeoutMs = 30_000): Promise<ExitStatus> {
    const timeout = delay(timeoutMs).then(() => {
      throw new Error(`the process did not exit within ${timeoutMs} ms\n${this.output()}`);
    });
    return Promise.race([this.exited, timeout]);
  }

  /** Sends the signal and measures how long the process took to exit. */
  async stop(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<ExitStatus & { elapsedMs: number }> {
    const started = Date.now();
    this.child.kill(signal);
    const status = await this.waitForExit(timeoutMs);
    return { ...status, elapsedMs: Date.now() - started };
  }

  output(): string {
    return `--- stdout ---\n${this.stdout.slice(-4000)}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }

  private readStdout(text: string): void {
    this.stdout += text;
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.logs.push(parseLogLine(line));
  }
}

function parseLogLine(line: string): LogLine {
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as LogLine;
  } catch {
    // Not JSON: kept as its text.
  }
  return { msg: line };
}

export function matchesMessage(line: LogLine, message: string | RegExp): boolean {
  if (typeof line.msg !== 'string') return false;
  return typeof message === 'string' ? line.msg === message : message.test(line.msg);
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `code ${String(status.code)}`;
}

/** A Tenure process that has logged `Tenure is listening on <url>`. */
export interface RunningTenure {
  process: TenureProcess;
  /** Base URL of its HTTP server. */
  url: string;
  /** Port of its embedded PostgreSQL, from `embedded PostgreSQL listening on 127.0.0.1:<port>`. */
  postgresPort: number;
}

/**
 * Owns every process, data folder and port a test opens, and releases them all in `cleanup()` —
 * meant for `onTestFinished` or `afterEach`, so a failing test leaves nothing behind: processes
 * still running are killed, a PostgreSQL they left running is stopped, folders are removed.
 */
export class ProcessHarness {
  private readonly processes: TenureProcess[] = [];
  private readonly dataDirs: string[] = [];
  private readonly servers: Server[] = [];

  async dataDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'tenure-process-'));
    this.dataDirs.push(dir);
    return dir;
  }

  /** A port on 127.0.0.1 that something else already listens on. */
  async occupiedPort(): Promise<number> {
    const server = createServer();
    this.servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the blocking server has no port');
    return address.port;
  }

  /** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
  async closedPort(): Promise<number> {
    const port = await this.occupiedPort();
    const server = this.servers.pop();
    await new Promise((resolve) => server?.close(resolve));
    return port;
  }

  spawn(options: SpawnOptions): TenureProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', options.script ?? 'src/main.ts', ...(options.args ?? [])], {
      cwd: repositoryRoot,
      env: childEnv(options),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tenure = new TenureProcess(child, options.dataDir);
    this.processes.push(tenure);
    return tenure;
  }

  /** Spawns Tenure and waits until it listens. */
  async start(options: SpawnOptions): Promise<RunningTenure> {
    const tenure = this.spawn(options);
    const listening = await tenure.waitForLog((line) => matchesMessage(line, /^Tenure is listening on http:\/\//));
    const url = /^Tenure is listening on (http:\/\/\S+)/.exec(listening.msg ?? '')?.[1];
    const postgres = this.postgresLine(tenure);
    const postgresPort = Number(/127\.0\.0\.1:(\d+)$/.exec(postgres?.msg ?? '')?.[1]);
    if (!url) throw new Error(`no URL in ${JSON.stringify(listening)}`);
    return { process: tenure, url, postgresPort };
  }

  async cleanup(): Promise<void> {
    for (const tenure of this.processes.splice(0)) {
      if (tenure.running) tenure.child.kill('SIGKILL');
      await tenure.exited;
    }
    for (const dir of this.dataDirs.splice(0)) {
      await stopLeftoverPostgres(dir);
      await rm(dir, { recursive: true, force: true });
    }
    for (const server of this.servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  }

  private postgresLine(tenure: TenureProcess): LogLine | undefined {
    return tenure.logs.find((line) => matchesMessage(line, /^embedded PostgreSQL listening on 127\.0\.0\.1:\d+$/));
  }
}

const run = promisify(execFile);

/** The command lines of the running processes that mention the folder, such as its postmaster's `-D <dir>`. */
export async function processesMentioning(dir: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid,user,args']);
  return stdout
    .split('\n')
    .slice(1)
    .filter((line) => line.includes(dir));
}

/** The pid the postmaster recorded in `postmaster.pid`, or undefined when the file is gone. */
export async function postmasterPid(clusterDir: string): Promise<number | undefined> {
  try {
    const firstLine = (await readFile(path.join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    return Number(firstLine);
  } catch {
    return undefined;
  }
}

/** Waits until no process mentions the folder; returns those still left after the timeout. */
export async function waitUntilNoProcessMentions(dir: string, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await processesMentioning(dir);
    if (left.length === 0 || Date.now() > deadline) return left;
    await delay(50);
  }
}

/** Stops a postmaster that a failed test left running on the data folder (immediate shutdown). */
async function stopLeftoverPostgres(dataDir: string): Promise<void> {
  const pid = await postmasterPid(path.join(dataDir, 'cluster'));
  if (pid === undefined) return;
  // Only the process that still runs on this folder: a stale pid file may name an unrelated process.
  const onThisFolder = (await processesMentioning(dataDir)).some((line) => Number(line.trim().split(/\s+/)[0]) === pid);
  if (!onThisFolder) return;
  try {
    process.kill(pid, 'SIGQUIT');
  } catch {
    return;
  }
  await waitUntilNoProcessMentions(dataDir, 10_000);
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface SlowRequest {
  /** Sends the rest of the body. */
  finish(): void;
  /** The complete response; rejects when the connection ends or fails before it is complete. */
  response: Promise<RawResponse>;
  close(): void;
}

/**
 * A POST whose body arrives in two parts: after `startSlowRequest` the server has the request's
 * headers and half its body, and cannot answer until `finish()` sends the rest. Keep-alive, as a
 * browser's would be.
 */
export async function startSlowRequest(baseUrl: string, requestPath: string): Promise<SlowRequest> {
  const { hostname, port } = new URL(baseUrl);
  const body = JSON.stringify({ note: 'this body arrives in two parts' });
  const half = Math.floor(body.length / 2);
  const socket = connect({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const response = new Promise<RawResponse>((resolve, reject) => {
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const parsed = parseResponse(received);
        if (parsed) resolve(parsed);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    socket.once('error', reject);
    socket.once('close', () =>
      reject(new Error(`the connection closed before a complete response: ${JSON.stringify(received.toString())}`)),
    );
  });
  // A rejection that nobody awaits yet must not fail the test run on its own.
  response.catch(() => undefined);
  socket.write(
    [
      `POST ${requestPath} HTTP/1.1`,
      `Host: ${hostname}:${port}`,
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      '',
      '',
    ].join('\r\n') + body.slice(0, half),
  );
  return { finish: () => socket.write(body.slice(half)), response, close: () => socket.destroy() };
}

function parseResponse(received: Buffer): RawResponse | undefined {
  const headerEnd = received.indexOf('\r\n\r\n');
  if (headerEnd === -1) return undefined;
  const [statusLine = '', ...headerLines] = received.subarray(0, headerEnd).toString('latin1').split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  const length = Number(headers['content-length']);
  if (!Number.isInteger(length)) throw new Error(`a response without Content-Length: ${statusLine}`);
  const body = received.subarray(headerEnd + 4);
  if (body.length < length) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body: body.subarray(0, length).toString('utf8') };
}

/** Waits until nothing accepts connections on the URL's port any more. */
export async function waitUntilRefused(baseUrl: string, timeoutMs = 10_000): Promise<void> {
  const { hostname, port } = new URL(baseUrl);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: hostname, port: Number(port) });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
    });
    if (refused) return;
    await delay(20);
  }
  throw new Error(`${baseUrl} still accepts connections after ${timeoutMs} ms`);
}
