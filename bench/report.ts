import type { BenchResults, Comparison, Measurement, ScenarioResult } from './results.ts';

/** Other processes keeping more cores than this busy make a scenario's figures suspect. */
export const busyMachineCores = 0.2;

/** The results as Markdown: the machine, then one table per scenario with each figure beside its limit. */
export function toMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  const byKey = new Map(
    results.scenarios.flatMap((scenario) => scenario.measurements.map((measurement) => [measurement.key, measurement] as const)),
  );
  const postgresSettings = Object.entries(machine.postgres.settings)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const lines = [
    `# Tenure benchmark, ${machine.date}`,
    '',
    '| Machine | |',
    '| --- | --- |',
    `| CPU | ${machine.cpuCount} × ${machine.cpuModel} |`,
    `| Memory | ${machine.totalMemoryGiB} GiB |`,
    `| OS | ${machine.os} (${machine.kernel}) |`,
    `| Node | ${machine.node} |`,
    `| PostgreSQL | ${machine.postgres.version}, ${machine.postgres.server}; ${postgresSettings} |`,
    `| pgbench | ${machine.pgbench ?? 'not installed'} |`,
    '',
    `Run took ${results.durationSeconds} s. Each HTTP and raw-SQL load: ${settings.warmupSeconds} s warm-up, then ${settings.seconds} s measured; ` +
      `autocannon with ${settings.connections} connections, pipelining ${settings.pipelining}; database pools of ${settings.poolMax}. ` +
      `Outbox: ${settings.events} events per run from ${settings.eventWorkers} publishers. ` +
      'A ratio divides our figure by the limit measured in this same run on this same machine; see bench/README.md.',
    '',
  ];
  for (const scenario of results.scenarios) lines.push(...scenarioSection(scenario, byKey));
  return `${lines.join('\n')}\n`;
}

function scenarioSection(scenario: ScenarioResult, byKey: Map<string, Measurement>): string[] {
  const lines = [`## ${scenario.title}`, ''];
  if (scenario.error) lines.push(`**Error:** ${scenario.error}`, '');
  lines.push(
    '| Measurement | Result | p50 ms | p99 ms | Limit (same run) | Ratio | Reading |',
    '| --- | ---: | ---: | ---: | --- | ---: | --- |',
  );
  for (const measurement of scenario.measurements) {
    const comparisons = scenario.comparisons.filter((comparison) => comparison.subject === measurement.key);
    const cells = [
      measurement.isLimit ? `**${measurement.label}** (limit)` : measurement.label,
      formatRate(measurement),
      formatLatency(measurement, 'p50'),
      formatLatency(measurement, 'p99'),
    ];
    if (comparisons.length === 0) lines.push(row([...cells, '—', '—', '']));
    comparisons.forEach((comparison, index) => {
      lines.push(row([...(index === 0 ? cells : ['〃', '', '', '']), ...comparisonCells(comparison, byKey)]));
    });
  }
  // Comparisons whose subject lives in another scenario (pgbench's against scenarios 2 and 3).
  const own = new Set(scenario.measurements.map((measurement) => measurement.key));
  for (const comparison of scenario.comparisons.filter((comparison) => !own.has(comparison.subject))) {
    const subject = byKey.get(comparison.subject);
    lines.push(
      row([
        subject?.label ?? comparison.subject,
        subject ? formatRate(subject) : 'not measured',
        subject ? formatLatency(subject, 'p50') : '',
        subject ? formatLatency(subject, 'p99') : '',
        ...comparisonCells(comparison, byKey),
      ]),
    );
  }
  lines.push('');
  const problems = scenario.measurements.flatMap((measurement) =>
    measurement.problems.map((problem) => `${measurement.label}: ${problem}`),
  );
  for (const problem of problems) lines.push(`- ⚠ ${problem}`);
  for (const note of scenario.notes) lines.push(`- ${note}`);
  lines.push(`- Scenario took ${scenario.seconds} s. ${otherCpuText(scenario.otherCpuCores)}`, '');
  return lines;
}

function otherCpuText(cores: number | null): string {
  if (cores === null) return 'CPU used by other processes: not measured.';
  if (cores > busyMachineCores) {
    return `⚠ Other processes on the machine kept ${cores.toFixed(2)} cores busy on average meanwhile: its figures and ratios are less reliable.`;
  }
  return `Other processes on the machine kept ${cores.toFixed(2)} cores busy on average meanwhile.`;
}

function comparisonCells(comparison: Comparison, byKey: Map<string, Measurement>): string[] {
  const limit = byKey.get(comparison.limit);
  const limitText = limit ? `${limit.label}: ${formatRate(limit)}` : comparison.limit;
  return [limitText, formatRatio(comparison.ratio), comparison.reading];
}

/** Two decimals, or two significant digits for ratios too small to show that way. */
function formatRatio(ratio: number | null): string {
  if (ratio === null) return 'n/a';
  return `${ratio >= 0.1 || ratio === 0 ? ratio.toFixed(2) : ratio.toPrecision(2)}×`;
}

function formatRate(measurement: Measurement): string {
  if (measurement.rate === null) return 'not measured';
  const digits = measurement.rate >= 100 ? 0 : 1;
  return `${measurement.rate.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${measurement.unit}`;
}

function formatLatency(measurement: Measurement, which: 'p50' | 'p99'): string {
  const value = measurement.latencyMs?.[which];
  if (value !== undefined) return value.toFixed(2);
  const mean = measurement.latencyMs?.mean;
  return which === 'p50' && mean !== undefined ? `avg ${mean.toFixed(2)}` : '';
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`;
}
