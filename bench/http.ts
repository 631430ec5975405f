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
  /** A body of its own for each request as it is sent, in place of `body` (POST only). */
  perRequestBody?: () => string;
  /** Called with each reply's status and body; autocannon then collects every body. */
  onResponse?: (status: number, body: string) => void;
}

/** One load's replies: autocannon's result, and how many replies and which latencies per status. */
export interface HttpRun {
  result: autocannon.Result;
  statuses: Map<number, number>;
  /** Exact response times in ms, by status. */
  latencies: Map<number, Samples>;
}

function fire(load: HttpLoad, settings: BenchSettings, seconds: number): Promise<HttpRun> {
  const latencies = new Map<number, Samples>();
  const statuses = new Map<number, number>();
  const extraHeaders = load.perRequestHeaders;
  const nextBody = load.perRequestBody;
  const onResponse = load.onResponse;
  const request: autocannon.Request = {
    method: load.method,
    headers: load.headers,
    body: load.body,
    ...(load.method === 'POST'
      ? {
          setupRequest: (next: autocannon.Request) => {
            const headers = extraHeaders ? { ...next.headers, ...extraHeaders() } : next.headers;
            return nextBody ? { ...next, headers, body: nextBody() } : extraHeaders ? { ...next, headers } : next;
          },
        }
      : {}),
    ...(onResponse ? { onResponse: (status: number, body: string) => onResponse(status, body) } : {}),
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: load.url, connections: settings.connections, pipelining: settings.pipelining, duration: seconds, requests: [request] },
      (error: unknown, result) => {
        if (error) reject(error instanceof Error ? error : new Error(`autocannon failed: ${JSON.stringify(error)}`));
        else resolve({ result, statuses, latencies });
      },
    );
    // autocannon's own histogram keeps whole milliseconds; ours keeps the exact response times.
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statuses.set(statusCode, (statuses.get(statusCode) ?? 0) + 1);
      let samples = latencies.get(statusCode);
      if (!samples) latencies.set(statusCode, (samples = new Samples()));
      samples.add(responseTime);
    });
  });
}

/** Warms up for the configured seconds, then loads for the configured seconds; both runs' replies. */
export async function runHttp(load: HttpLoad, settings: BenchSettings): Promise<{ warmup: HttpRun; measured: HttpRun }> {
  const warmup = await fire(load, settings, settings.warmupSeconds);
  const measured = await fire(load, settings, settings.seconds);
  return { warmup, measured };
}

/** Warms up, then measures `load` for the configured seconds: successful requests per second and their latency. */
export async function measureHttp(key: string, label: string, load: HttpLoad, settings: BenchSettings): Promise<Measurement> {
  return httpMeasurement(key, label, (await runHttp(load, settings)).measured);
}

/** Sends one request and returns its status, for set-up steps such as storing an idempotent reply. */
export async function sendOnce(load: HttpLoad): Promise<number> {
  const response = await fetch(load.url, { method: load.method, headers: load.headers, body: load.body });
  await response.text();
  return response.status;
}

const isSuccess = (status: number) => status >= 200 && status < 300;

/**
 * A run as a measurement: the replies whose status `counts` (2xx unless told) per second and their
 * latencies. Replies of any status outside `expected` (the counted ones unless told) and connection
 * errors are listed as problems.
 */
export function httpMeasurement(
  key: string,
  label: string,
  run: HttpRun,
  options: { counts?: (status: number) => boolean; expected?: (status: number) => boolean; unit?: string } = {},
): Measurement {
  const { result, statuses } = run;
  const counts = options.counts ?? isSuccess;
  const expected = options.expected ?? counts;
  const latencies = new Samples();
  let counted = 0;
  for (const [status, samples] of run.latencies) {
    if (!counts(status)) continue;
    counted += samples.count;
    latencies.addAll(samples);
  }
  const problems: string[] = [];
  const failed = [...statuses].filter(([status]) => !expected(status));
  const what = options.expected === undefined && options.counts === undefined ? 'non-2xx replies' : 'unexpected replies';
  if (failed.length > 0) problems.push(`${what}: ${failed.map(([status, count]) => `${count}× ${status}`).join(', ')}`);
  if (result.errors > 0) problems.push(`${result.errors} connection errors (${result.timeouts} timeouts)`);
  const latency = latencies.summary();
  return {
    key,
    label,
    rate: counted > 0 ? round(counted / result.duration, 1) : null,
    unit: options.unit ?? 'req/s',
    ...(latency ? { latencyMs: { p50: round(latency.p50, 3), p99: round(latency.p99, 3), max: round(latency.max, 3) } } : {}),
    count: counted,
    seconds: result.duration,
    isLimit: false,
    problems,
  };
}

/** How many replies of each status, as `201: 1234, 409: 56`. */
export function statusCounts(statuses: Map<number, number>): string {
  return [...statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, count]) => `${status}: ${count}`)
    .join(', ');
}
