import { performance } from 'node:perf_hooks';
import type { Measurement } from './results.ts';

/** A growing list of numbers (latencies in milliseconds) with the percentiles the report shows. */
export class Samples {
  private values = new Float64Array(4096);
  private size = 0;

  add(value: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = value;
  }

  addAll(other: Samples): void {
    for (let index = 0; index < other.size; index++) this.add(other.values[index]!);
  }

  get count(): number {
    return this.size;
  }

  /** p50, p99 and max by nearest rank; undefined when nothing was recorded. */
  summary(): { p50: number; p99: number; max: number } | undefined {
    if (this.size === 0) return undefined;
    const sorted = this.values.slice(0, this.size).sort();
    return { p50: rank(sorted, 0.5), p99: rank(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 };
  }
}

function rank(sorted: Float64Array, fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? 0;
}

/** Milliseconds since the Unix epoch with sub-millisecond precision, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface LoopResult {
  operations: number;
  seconds: number;
  latencies: Samples;
  errors: number;
  firstError?: string;
}

/**
 * Runs `operation` from `workers` concurrent async loops, either for `seconds` or until `total`
 * operations have started, and times each one.
 */
export async function runLoops(options: {
  workers: number;
  seconds?: number;
  total?: number;
  operation: (index: number) => Promise<unknown>;
}): Promise<LoopResult> {
  const latencies = new Samples();
  let started = 0;
  let operations = 0;
  let errors = 0;
  let firstError: string | undefined;
  const begin = performance.now();
  const deadline = options.seconds === undefined ? Infinity : begin + options.seconds * 1000;
  const total = options.total ?? Infinity;
  const worker = async () => {
    while (started < total && performance.now() < deadline) {
      const index = started++;
      const at = performance.now();
      try {
        await options.operation(index);
        latencies.add(performance.now() - at);
        operations++;
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  return { operations, seconds: (performance.now() - begin) / 1000, latencies, errors, firstError };
}

/** A raw-SQL loop as a measurement: `perOperation` rows per operation, latency per operation. */
export function loopMeasurement(
  key: string,
  label: string,
  loop: LoopResult,
  options: { unit: string; perOperation?: number; isLimit: boolean },
): Measurement {
  const latency = loop.latencies.summary();
  const count = loop.operations * (options.perOperation ?? 1);
  return {
    key,
    label,
    rate: count > 0 ? round(count / loop.seconds, 1) : null,
    unit: options.unit,
    ...(latency ? { latencyMs: { p50: round(latency.p50, 3), p99: round(latency.p99, 3), max: round(latency.max, 3) } } : {}),
    count,
    seconds: round(loop.seconds, 2),
    isLimit: options.isLimit,
    problems: loop.errors > 0 ? [`${loop.errors} failed operations, first: ${loop.firstError ?? 'unknown'}`] : [],
  };
}
