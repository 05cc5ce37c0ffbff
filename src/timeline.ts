import type { PluginInfo } from './vocabulary.js';

/** Past this many plugins, the timeline at `info` is a summary; `debug` shows it in full. */
export const TIMELINE_FULL_UP_TO = 50;

/** How many of the slowest plugins the summary names. */
const SLOWEST = 10;

/** One line per plugin: its `init` and `afterInit` durations and its state. */
export function timelineLines(plugins: readonly PluginInfo[]): string[] {
  return plugins.map((p) => {
    const init = p.timings.init?.toFixed(1) ?? '-';
    const after = p.timings.afterInit?.toFixed(1) ?? '-';
    return `${p.name.padEnd(20)} init ${init.padStart(7)} ms  afterInit ${after.padStart(7)} ms  ${p.state}`;
  });
}

/** The summary of a large start: totals per phase and state, then the slowest plugins. */
export function timelineSummary(plugins: readonly PluginInfo[]): string[] {
  let init = 0;
  let afterInit = 0;
  const states = new Map<string, number>();
  for (const p of plugins) {
    init += p.timings.init ?? 0;
    afterInit += p.timings.afterInit ?? 0;
    states.set(p.state, (states.get(p.state) ?? 0) + 1);
  }
  const counts = [...states].map(([state, n]) => `${n} ${state}`).join(', ');
  const slowest = [...plugins]
    .sort((a, b) => startMs(b) - startMs(a))
    .slice(0, SLOWEST)
    .filter((p) => startMs(p) > 0);
  return [
    `${plugins.length} plugins (${counts}): init ${init.toFixed(1)} ms, afterInit ${afterInit.toFixed(1)} ms in total; full timeline at log level debug`,
    ...(slowest.length > 0 ? [`slowest ${slowest.length}:`] : []),
    ...timelineLines(slowest),
  ];
}

function startMs(p: PluginInfo): number {
  return (p.timings.init ?? 0) + (p.timings.afterInit ?? 0);
}
