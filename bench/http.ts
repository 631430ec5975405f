import autocannon from 'autocannon';
import type { Measurement } from './results.ts';
import type { BenchSettings } from './settings.ts';
import { round, Samples } from './stats.ts';

export interface HttpLoad {
  /** Such as `http://127.0.0.1:41234/health/live`. */
  url: string;
  method: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
  /**
   * Headers to add to each request as it is sent. POST loads always go through autocannon's
   * `setupRequest` (with no headers when there is nothing to add) so that every POST variant costs
   * the load generator the same work.
   */
  perRequestHeaders?: () => Record<string, string>;
}

interface Run {
  result: autocannon.Result;
  latencies: Samples;
  statuses: Map<number, number>;
}

function fire(load: HttpLoad, settings: BenchSettings, seconds: number): Promise<Run> {
  const latencies = new Samples();
  const statuses = new Map<number, number>();
  const extra = load.perRequestHeaders;
  const request: autocannon.Request = {
    method: load.method,
    headers: load.headers,
    body: load.body,
    ...(load.method === 'POST'
      ? { setupRequest: (next: autocannon.Request) => (extra ? { ...next, headers: { ...next.headers, ...extra() } } : next) }
      : {}),
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: load.url, connections: settings.connections, pipelining: settings.pipelining, duration: seconds, requests: [request] },
      (error: unknown, result) => {
        if (error) reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`));
        else resolve({ result, latencies, statuses });
      },
    );
    // autocannon's own histogram keeps whole milliseconds; ours keeps the exact response times.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      if (statusCode >= 200 && statusCode < 300) latencies.add(responseTime);
    });
  });
}

/** Warms up, then measures `load` for the configured seconds: successful requests per second and their latency. */
export async function measureHttp(key: string, label: string, load: HttpLoad, settings: BenchSettings): Promise<Measurement> {
  await fire(load, settings, settings.warmupSeconds);
  const { result, latencies, statuses } = await fire(load, settings, settings.seconds);
  return toMeasurement(key, label, result, latencies, statuses);
}

/** Sends one request and returns its status, for set-up steps such as storing an idempotent reply. */
export async function sendOnce(load: HttpLoad): Promise<number> {
  const response = await fetch(load.url, { method: load.method, headers: load.headers, body: load.body });
  await response.text();
  return response.status;
}

function toMeasurement(
  key: string,
  label: string,
  result: autocannon.Result,
  latencies: Samples,
  statuses: Map<number, number>,
): Measurement {
  const ok = result['2xx'];
  const problems: string[] = [];
  const failed = [...statuses].filter(([status]) => status < 200 || status >= 300);
  if (failed.length > 0) problems.push(`non-2xx replies: ${failed.map(([status, count]) => `${count}× ${status}`).join(', ')}`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  const latency = latencies.summary();
  return {
    key,
    label,
    rate: ok > 0 ? round(ok / result.duration, 1) : null,
    unit: 'req/s',
    ...(latency ? { latencyMs: { p50: round(latency.p50, 3), p99: round(latency.p99, 3), max: round(latency.max, 3) } } : {}),
    count: ok,
    seconds: result.duration,
    isLimit: false,
    problems,
  };
}
