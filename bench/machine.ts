import os from 'node:os';

/** The machine the figures were measured on: ratios travel between machines, raw figures do not. */
export interface MachineDescription {
  cpuModel: string;
  cpuCount: number;
  totalMemoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  postgres: {
    version: string;
    /** `embedded` (started by the bench) or the redacted DATABASE_URL server. */
    server: string;
    settings: Record<string, string>;
  };
  pgbench: string | null;
  date: string;
}

export interface PostgresDescription {
  version: string;
  server: string;
  settings: Record<string, string>;
}

export function describeMachine(postgres: PostgresDescription, pgbench: string | null): MachineDescription {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    kernel: os.version(),
    node: process.version,
    postgres,
    pgbench,
    date: new Date().toISOString(),
  };
}
