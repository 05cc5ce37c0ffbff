// The words every part of the engine shares. This module imports nothing, so that any
// module may import it without forming a cycle.

/** The four lifecycle phases, in start order. */
export const PHASES = ['init', 'afterInit', 'beforeClose', 'close'] as const;

/** One lifecycle phase. */
export type Phase = (typeof PHASES)[number];

/** The phases of a start, in order. */
export const START_PHASES = ['init', 'afterInit'] as const;

/** A phase of a start. */
export type StartPhase = (typeof START_PHASES)[number];

/** The phases of a stop, in order. */
export const STOP_PHASES = ['beforeClose', 'close'] as const;

/** A phase of a stop. */
export type StopPhase = (typeof STOP_PHASES)[number];

/** Every state a plugin can be in. */
export const PLUGIN_STATES = [
  'idle',
  'starting',
  'ok',
  'failed',
  'skipped',
  'stopping',
  'stopped',
] as const;

/** State of one plugin in the agent. */
export type PluginState = (typeof PLUGIN_STATES)[number];

/** Every state the agent as a whole can be in. */
export const AGENT_STATES = [
  'idle',
  'starting',
  'ok',
  'degraded',
  'error',
  'stopping',
  'stopped',
] as const;

/** State of the agent as a whole. */
export type AgentState = (typeof AGENT_STATES)[number];

/** What `agent.plugins` tells about one plugin. */
export interface PluginInfo {
  name: string;
  /** Field path in the flavor tree. */
  path: string;
  state: PluginState;
  optional: boolean;
  /** Names of the plugins found in its `deps`. */
  dependsOn: string[];
  /** Ms spent in each lifecycle call that ran. */
  timings: Partial<Record<Phase, number>>;
  /**
   * When each call that ran began, in ms from the beginning of the start (for
   * `init`, `afterInit`) or of the stop (for `beforeClose`, `close`) it belonged to.
   */
  began: Partial<Record<Phase, number>>;
  /** Message of the error that failed or skipped it. */
  error?: string | undefined;
}

/** What `agent.status()` returns. */
export interface AgentStatus {
  state: AgentState;
  plugins: PluginInfo[];
}

/** Options of `@Plug`, and of a plugin given to the agent by name. */
export interface PlugOptions {
  /** Name of the plugin in the agent; default: the field name. */
  name?: string | undefined;
  /** A failing optional plugin degrades the agent instead of stopping its start. */
  optional?: boolean | undefined;
  /** Time limit in ms for each of this plugin's lifecycle calls; default: the agent's. */
  timeout?: number | undefined;
}
