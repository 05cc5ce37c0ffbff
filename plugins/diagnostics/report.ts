import type { AgentView, PluginInfo } from '../../src/index.js';
import type { AgentHealth } from '../status-check/index.js';
import type { TaskInfo } from '../tasks/index.js';

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
  /** The tasks plugin's tasks, when one is wired. */
  tasks?: TaskInfo[];
}

/**
 * Gathers the report. Each bar begins when its call began, so calls that ran
 * together (`AgentOptions.concurrency`) overlap in time, each on its own row.
 */
export function buildReport(agent: AgentView, health: AgentHealth): DiagnosticsReport {
  const plugins = agent.plugins;
  const timeline: TimelineBar[] = [];
  for (const phase of ['init', 'afterInit'] as const) {
    for (const p of plugins) {
      const durationMs = p.timings[phase];
      const startMs = p.began[phase];
      if (durationMs === undefined || startMs === undefined) continue;
      timeline.push({ plugin: p.name, phase, startMs, durationMs });
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
