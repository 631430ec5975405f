import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

/**
 * How much CPU the rest of the machine took while a scenario ran. On a shared machine (another
 * test suite, a build) the figures drop for reasons that have nothing to do with Tenure; this
 * says so next to them. Linux only (it reads /proc); elsewhere it reports nothing.
 *
 * Ours is the CPU time of the bench's process tree (children it has reaped included, through
 * cutime/cstime), of the PostgreSQL server's when it runs on this machine, and of kernel threads.
 * Everything else the kernel counts as busy (user, system and steal time) is somebody else's.
 */
export interface CpuSnapshot {
  at: number;
  busyTicks: number;
  ourTicks: number;
}

interface ProcessTicks {
  ppid: number;
  ticks: number;
}

const run = promisify(execFile);
let ticksPerSecond: number | undefined;

async function readProcesses(): Promise<Map<number, ProcessTicks>> {
  const processes = new Map<number, ProcessTicks>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((index) => Number(fields[index] ?? 0));
      processes.set(Number(entry), { ppid: Number(fields[1] ?? 0), ticks: (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0) });
    } catch {
      // The process ended while we read.
    }
  }
  return processes;
}

function treeTicks(processes: Map<number, ProcessTicks>, roots: number[]): number {
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const seen = new Set<number>();
  const stack = [...roots];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    total += processes.get(pid)?.ticks ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return total;
}

/** A snapshot of busy and own CPU time; undefined where /proc cannot be read. */
export async function cpuSnapshot(roots: number[]): Promise<CpuSnapshot | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    ticksPerSecond ??= Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
    const [line] = (await readFile('/proc/stat', 'utf8')).split('\n');
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice. Interrupt time is left
    // out: on loopback most of it is our own requests. Steal (other virtual machines) stays in.
    const [user, nice, system, , , , , steal] = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
    const busyTicks = [user, nice, system, steal].reduce<number>((sum, value) => sum + (value ?? 0), 0);
    // Kernel threads (children of kthreadd, pid 2) count as ours: writeback and journaling of our fsyncs.
    const ourTicks = treeTicks(await readProcesses(), [...roots, 2]);
    return { at: performance.now(), busyTicks, ourTicks };
  } catch {
    return undefined;
  }
}

/** Cores the rest of the machine kept busy on average between two snapshots; null when not measured. */
export function otherCores(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined): number | null {
  if (!before || !after || ticksPerSecond === undefined) return null;
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return null;
  const other = after.busyTicks - before.busyTicks - (after.ourTicks - before.ourTicks);
  return Math.max(0, other / ticksPerSecond / seconds);
}

/** The PostgreSQL server's main process, when it runs on this machine: the parent of a backend. */
export async function localPostmaster(backendPid: number, host: string): Promise<number | undefined> {
  if (process.platform !== 'linux' || !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) return undefined;
  try {
    const comm = (await readFile(`/proc/${backendPid}/comm`, 'utf8')).trim();
    if (!comm.startsWith('postgres')) return undefined;
    const stat = await readFile(`/proc/${backendPid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

export function machineCores(): number {
  return cpus().length;
}
