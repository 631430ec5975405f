import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type Config, loadConfig } from '../src/platform/config.ts';
import { createDatabase, createPool, type Database } from '../src/platform/db/database.ts';

/**
 * The messages a bench child process (the HTTP server, the relay worker) sends its parent over the
 * IPC channel `fork` opens.
 */
export const ChildMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), port: z.number().int().optional() }),
  z.object({ type: z.literal('progress'), handled: z.number().int() }),
  z.object({ type: z.literal('report'), handled: z.array(z.tuple([z.string(), z.number()])), relayProblem: z.string().nullable() }),
  z.object({ type: z.literal('failed'), message: z.string() }),
  z.object({ type: z.literal('capturing') }),
  z.object({ type: z.literal('captured'), queries: z.array(z.object({ sql: z.string(), parameters: z.array(z.unknown()) })) }),
]);
export type ChildMessage = z.infer<typeof ChildMessage>;

export const ParentMessage = z.object({ type: z.enum(['stop', 'report', 'capture-start', 'capture-stop']) });
export type ParentMessage = z.infer<typeof ParentMessage>;

export interface BenchChild {
  /** Resolves with the first message of that type; rejects when the child fails, exits or takes too long. */
  waitFor<T extends ChildMessage['type']>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>>;
  onMessage(listener: (message: ChildMessage) => void): void;
  send(message: ParentMessage): void;
  /** Asks the child to stop cleanly, then kills it if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

/** Starts `bench/<script>` as `node --import tsx bench/<script>` with its own event loop. */
export function startChild(script: string, env: Record<string, string>): BenchChild {
  const child: ChildProcess = fork(fileURLToPath(new URL(script, import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    // Its stdout (log lines) goes nowhere; its errors reach the terminal.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const listeners = new Set<(message: ChildMessage) => void>();
  let exited: string | undefined;
  const exitListeners = new Set<(reason: string) => void>();
  child.on('message', (raw) => {
    const parsed = ChildMessage.safeParse(raw);
    if (!parsed.success) return;
    for (const listener of listeners) listener(parsed.data);
  });
  child.on('exit', (code, signal) => {
    exited = `${script} exited (${signal ?? `code ${String(code)}`})`;
    for (const listener of exitListeners) listener(exited);
  });

  return {
    waitFor(type, timeoutMs) {
      return new Promise((resolve, reject) => {
        if (exited) {
          reject(new Error(exited));
          return;
        }
        const done = () => {
          clearTimeout(timer);
          listeners.delete(onMessage);
          exitListeners.delete(onExit);
        };
        const onMessage = (message: ChildMessage) => {
          if (message.type === 'failed') {
            done();
            reject(new Error(`${script}: ${message.message}`));
          } else if (message.type === type) {
            done();
            resolve(message as Extract<ChildMessage, { type: typeof type }>);
          }
        };
        const onExit = (reason: string) => {
          done();
          reject(new Error(reason));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script} sent no "${type}" within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        listeners.add(onMessage);
        exitListeners.add(onExit);
      });
    },
    onMessage(listener) {
      listeners.add(listener);
    },
    send(message) {
      if (!exited && child.connected) child.send(message);
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => exitListeners.add(() => resolve()));
      this.send({ type: 'stop' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    },
  };
}

/** In a child: sends a message to the parent, when there is one. */
export function tellParent(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/** In a child: calls `onStop` when the parent asks, or exits when the parent has gone. */
export function onParentMessage(handlers: { stop: () => Promise<void>; report?: () => void; capture?: (on: boolean) => void }): void {
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= handlers
      .stop()
      .catch((error: unknown) => {
        process.stderr.write(`stopping failed: ${(error as Error).message}\n`);
      })
      .finally(() => process.exit(0));
  };
  process.on('message', (raw) => {
    const parsed = ParentMessage.safeParse(raw);
    if (!parsed.success) return;
    if (parsed.data.type === 'report') handlers.report?.();
    else if (parsed.data.type === 'capture-start') handlers.capture?.(true);
    else if (parsed.data.type === 'capture-stop') handlers.capture?.(false);
    else stop();
  });
  process.on('disconnect', stop);
}

export type ServerKind = 'bare' | 'tenure' | 'tenure-bench' | 'tenure-modules';

/** A statement the server sent PostgreSQL, with its parameters, as its pg client was given it. */
export interface CapturedQuery {
  sql: string;
  parameters: unknown[];
}

export interface BenchServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /**
   * Every statement the server's pool was sent while `work` ran, transaction control included
   * (`tenure-modules` only). Nothing else should reach the server meanwhile.
   */
  capture(work: () => Promise<unknown>): Promise<CapturedQuery[]>;
  stop(): Promise<void>;
}

/** Starts `bench/server.ts` in a child process and waits until it listens. */
export async function startBenchServer(
  kind: ServerKind,
  options: { databaseUrl: string; poolMax: number; logLevel: string },
): Promise<BenchServer> {
  const child = startChild('./server.ts', {
    BENCH_SERVER: kind,
    BENCH_DATABASE_URL: options.databaseUrl,
    BENCH_POOL_MAX: String(options.poolMax),
    BENCH_LOG_LEVEL: options.logLevel,
  });
  try {
    const { port } = await child.waitFor('ready', 60_000);
    if (port === undefined) throw new Error('the bench server did not say which port it listens on');
    return {
      baseUrl: `http://127.0.0.1:${port}`,
      async capture(work) {
        child.send({ type: 'capture-start' });
        await child.waitFor('capturing', 10_000);
        try {
          await work();
        } finally {
          child.send({ type: 'capture-stop' });
        }
        return (await child.waitFor('captured', 10_000)).queries;
      },
      stop: () => child.stop(),
    };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** Runs `work` against a server of that kind, and stops the server however `work` ends. */
export async function withBenchServer<T>(
  kind: ServerKind,
  options: { databaseUrl: string; poolMax: number; logLevel: string },
  work: (server: BenchServer) => Promise<T>,
): Promise<T> {
  const server = await startBenchServer(kind, options);
  try {
    return await work(server);
  } finally {
    await server.stop();
  }
}

const benchSigningKeySecrets = `bench:${Buffer.from('tenure-bench-signing-key-secret!').toString('base64')}`;
// Production refuses the development data key as well.
const benchDataEncryptionKeys = `bench:${Buffer.from('tenure-bench-data-encryption-key').toString('base64')}`;

/**
 * The sandbox provider's webhook secret on the bench's servers: production turns the sandbox off
 * with the public default, and the webhooks scenario signs its deliveries with this one.
 */
export const benchSandboxWebhookSecret = 'whsec_tenure_bench_sandbox';

/** The configuration every Tenure process of the bench runs with: production settings, the bench's secrets, quiet logs. */
export function benchConfig(url: string, overrides: Partial<Record<keyof Config, string>> = {}): Config {
  return loadConfig(
    {},
    {
      NODE_ENV: 'production',
      // Production refuses the development secrets; the bench's processes share these.
      SIGNING_KEY_SECRETS: benchSigningKeySecrets,
      DATA_ENCRYPTION_KEYS: benchDataEncryptionKeys,
      SANDBOX_WEBHOOK_SECRETS: benchSandboxWebhookSecret,
      DATABASE_URL: url,
      DATABASE_POOL_MAX: process.env.BENCH_POOL_MAX,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      ...overrides,
    },
  );
}

/** What a child process runs Tenure with: the database the bench made, production settings, quiet logs. */
export function childDatabase(
  applicationName: string,
  overrides: Partial<Record<keyof Config, string>> = {},
): { url: string; config: Config; pool: ReturnType<typeof createPool>; db: Database } {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('BENCH_DATABASE_URL is not set');
  const config = benchConfig(url, overrides);
  const pool = createPool({ url, poolMax: config.DATABASE_POOL_MAX, applicationName });
  return { url, config, pool, db: createDatabase(pool) };
}
