import { withBenchServer } from '../child.ts';
import { measureHttp } from '../http.ts';
import { asLimit, compare } from '../results.ts';
import { type Scenario, serverOptions } from './context.ts';

/**
 * Scenario 1: the framework's ceiling against our plugins. The same `GET /health/live` answered by
 * a bare Fastify 5 app and by Tenure's real application, each in its own process.
 */
export const frameworkScenario: Scenario = async (context, result) => {
  const { settings, log } = context;
  const options = serverOptions(context);

  log('  bare Fastify 5: GET /health/live');
  const ceiling = await withBenchServer('bare', options, (server) =>
    measureHttp('http.bare', 'Bare Fastify 5, GET /health/live', { url: `${server.baseUrl}/health/live`, method: 'GET' }, settings),
  );
  result.measurements.push(asLimit(ceiling));

  log('  Tenure buildApp: GET /health/live');
  result.measurements.push(
    await withBenchServer('tenure', options, (server) =>
      measureHttp('http.tenure.live', 'Tenure app, GET /health/live', { url: `${server.baseUrl}/health/live`, method: 'GET' }, settings),
    ),
  );

  result.comparisons.push(
    compare('http.tenure.live', 'http.bare', 'share of the framework ceiling our plugins leave; 1.0 would mean they cost nothing'),
  );
  result.notes.push(
    'Both servers run in a child process of their own; autocannon runs in the bench process. Tenure runs with modules: [], a no-op job sender, RATE_LIMIT_MAX 1000000 and LOG_LEVEL ' +
      `${settings.serverLogLevel}.`,
  );
};
