import type { AgentView, PluginInfo } from '../../src/index.js';
import type { AgentHealth } from '../status-check/index.js';

/** One bar of the start-up timeline. */
export interface TimelineBar {
  plugin: string;
  phase: 'init' | 'afterInit';
  /** Ms from the start of the start-up to the start of this call. */
  startMs: number;
  durationMs: number;
}

/** Everything `/diagnostics` and `/diagnostics.json` show. */
export interface DiagnosticsReport {
  agent: { name: string; label: string; state: string };
  plugins: Array<PluginInfo & { health?: string | undefined; healthError?: string | undefined }>;
  timeline: TimelineBar[];
}

/**
 * Gathers the report. Calls run one after another and each duration runs from
 * the end of the previous call, so the bars are laid end to end.
 */
export function buildReport(agent: AgentView, health: AgentHealth): DiagnosticsReport {
  const plugins = agent.plugins;
  const timeline: TimelineBar[] = [];
  let at = 0;
  for (const phase of ['init', 'afterInit'] as const) {
    for (const p of plugins) {
      const durationMs = p.timings[phase];
      if (durationMs === undefined) continue;
      timeline.push({ plugin: p.name, phase, startMs: at, durationMs });
      at += durationMs;
    }
  }
  return {
    agent: { name: agent.name, label: agent.label, state: health.state },
    plugins: plugins.map((p) => ({
      ...p,
      health: health.plugins[p.name]?.state,
      healthError: health.plugins[p.name]?.error,
    })),
    timeline,
  };
}
