import type { MachineDescription } from './machine.ts';
import type { BenchSettings } from './settings.ts';

/** One measured figure: a rate, and the latency of one operation when it has one. */
export interface Measurement {
  /** Stable across runs, such as `http.tenure.live`; comparisons refer to it. */
  key: string;
  label: string;
  /** Operations per second; null when the measurement could not be made. */
  rate: number | null;
  unit: string;
  /** Per operation; pgbench gives only its average. */
  latencyMs?: { p50?: number; p99?: number; max?: number; mean?: number };
  /** Operations completed in the measured window. */
  count?: number;
  seconds?: number;
  /** True for the figures that other figures are divided by. */
  isLimit: boolean;
  /** Anything that makes the figure suspect: errors, non-2xx replies, events never handled. */
  problems: string[];
}

/** `subject / limit`: how close a figure of ours comes to a limit measured in the same run. */
export interface Comparison {
  subject: string;
  limit: string;
  ratio: number | null;
  /** How to read the ratio, in a few words. */
  reading: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  measurements: Measurement[];
  comparisons: Comparison[];
  notes: string[];
  /**
   * Cores that processes other than the bench's and its PostgreSQL's kept busy on average while
   * the scenario ran; null where it cannot be measured (not Linux).
   */
  otherCpuCores: number | null;
  /** Set when the scenario could not finish; the measurements it did make stay. */
  error?: string;
  seconds: number;
}

export interface BenchResults {
  machine: MachineDescription;
  settings: BenchSettings;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  scenarios: ScenarioResult[];
}

/** Declares a comparison; its ratio is filled in once every scenario has run. */
export function compare(subject: string, limit: string, reading: string): Comparison {
  return { subject, limit, ratio: null, reading };
}

/** Fills in every ratio from the measurements of all scenarios, so a comparison may cross scenarios. */
export function computeRatios(scenarios: ScenarioResult[]): void {
  const byKey = new Map(
    scenarios.flatMap((scenario) => scenario.measurements.map((measurement) => [measurement.key, measurement] as const)),
  );
  for (const comparison of scenarios.flatMap((scenario) => scenario.comparisons)) {
    const subject = byKey.get(comparison.subject)?.rate;
    const limit = byKey.get(comparison.limit)?.rate;
    comparison.ratio = subject != null && limit != null && limit > 0 ? Number((subject / limit).toPrecision(4)) : null;
  }
}

export function findMeasurement(scenarios: ScenarioResult[], key: string): Measurement | undefined {
  for (const scenario of scenarios) {
    const found = scenario.measurements.find((measurement) => measurement.key === key);
    if (found) return found;
  }
  return undefined;
}

/** Marks a measurement as a limit other figures are divided by. */
export function asLimit(measurement: Measurement): Measurement {
  return { ...measurement, isLimit: true };
}
