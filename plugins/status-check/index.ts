import { setTimer, timeLimit, withTimeout } from '../../src/index.js';
import type { AgentView, InitContext, Plugin, PluginInfo } from '../../src/index.js';

/** Health of one plugin as the status check sees it. */
export type HealthState = 'starting' | 'ok' | 'error' | 'stopping' | 'stopped';

/** Health of the agent as a whole. */
export type OverallState = 'starting' | 'ok' | 'degraded' | 'error' | 'stopping' | 'stopped';

/** One plugin's entry in the status table. */
export interface PluginHealth {
  state: HealthState;
  optional: boolean;
  error?: string | undefined;
  /** When the state last changed (ms since the epoch). */
  since: number;
}

/** The whole status table. */
export interface AgentHealth {
  state: OverallState;
  plugins: Record<string, PluginHealth>;
}

/** A change of one plugin's health or of the overall state. */
export interface HealthChange {
  plugin?: string | undefined;
  state: HealthState | OverallState;
  previous?: HealthState | OverallState | undefined;
  error?: string | undefined;
}

/** A check a plugin registers; it fails by throwing or rejecting. */
export type Probe = () => void | Promise<void>;

/** How often and how long a probe runs. */
export interface ProbeOptions {
  /** Ms between runs; default 10 000; `0` or `Infinity`: only when `probe()` is called. */
  interval?: number | undefined;
  /** Ms a run may take before it counts as failed; default 5 000; `0` or `Infinity`: no limit. */
  timeout?: number | undefined;
}

/** What dependents see of the status check. */
export interface StatusReporter {
  report(plugin: string, state: HealthState, error?: Error | string): void;
  register(plugin: string, probe: Probe, options?: ProbeOptions): void;
  agentStatus(): AgentHealth;
  on(event: 'change', listener: (change: HealthChange) => void): () => void;
}

const FROM_LIFECYCLE: Record<PluginInfo['state'], HealthState> = {
  idle: 'starting',
  starting: 'starting',
  ok: 'ok',
  failed: 'error',
  skipped: 'error',
  stopping: 'stopping',
  stopped: 'stopped',
};

interface RegisteredProbe {
  probe: Probe;
  interval: number;
  timeout: number;
  /** Cancels the next scheduled run. */
  cancel?: (() => void) | undefined;
}

/**
 * Tracks each plugin's health: set by the agent as the lifecycle goes, reported
 * by plugins themselves and by periodic probes; derives the agent's overall state.
 */
export class StatusCheckPlugin implements Plugin, StatusReporter {
  private readonly table = new Map<string, PluginHealth>();
  private readonly probes = new Map<string, RegisteredProbe>();
  private readonly listeners = new Set<(change: HealthChange) => void>();
  private lifecycle: OverallState = 'starting';
  private overall: OverallState = 'starting';
  private unsubscribe: Array<() => void> = [];
  private serving = false;

  init(ctx: InitContext): void {
    const agent = ctx.agent;
    for (const p of agent.plugins) this.set(p.name, FROM_LIFECYCLE[p.state], p.optional, p.error);
    this.unsubscribe = [
      agent.on('pluginState', ({ plugin, state, optional, error }) =>
        this.set(plugin, FROM_LIFECYCLE[state], optional, error),
      ),
      agent.on('pluginRemoved', ({ plugin }) => this.remove(plugin)),
      agent.on('started', () => this.setLifecycle(agent, 'ok')),
      agent.on('startFailed', () => this.setLifecycle(agent, 'error')),
      agent.on('stopping', () => this.setLifecycle(agent, 'stopping')),
      agent.on('stopped', () => this.setLifecycle(agent, 'stopped')),
    ];
  }

  afterInit(): void {
    this.serving = true;
    for (const name of this.probes.keys()) this.schedule(name);
  }

  beforeClose(): void {
    this.serving = false;
    for (const registered of this.probes.values()) registered.cancel?.();
  }

  close(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  report(plugin: string, state: HealthState, error?: Error | string): void {
    const message = error instanceof Error ? error.message : error;
    this.set(plugin, state, this.table.get(plugin)?.optional ?? false, message);
  }

  register(plugin: string, probe: Probe, options: ProbeOptions = {}): void {
    const previous = this.probes.get(plugin);
    if (previous) previous.cancel?.();
    this.probes.set(plugin, {
      probe,
      interval: timeLimit(options.interval ?? 10_000, 'probe interval', plugin),
      timeout: timeLimit(options.timeout ?? 5_000, 'probe timeout', plugin),
    });
    if (this.serving) this.schedule(plugin);
  }

  agentStatus(): AgentHealth {
    return { state: this.overall, plugins: Object.fromEntries(this.table) };
  }

  on(_event: 'change', listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs a plugin's probe now and marks the plugin ok or error; resolves when done. */
  async probe(plugin: string): Promise<void> {
    const registered = this.probes.get(plugin);
    if (!registered) throw new Error(`no probe is registered for plugin "${plugin}"`);
    try {
      await withTimeout(
        Promise.resolve().then(registered.probe),
        registered.timeout,
        () => new Error(`probe did not answer within ${registered.timeout} ms`),
      );
      this.report(plugin, 'ok');
    } catch (err) {
      this.report(plugin, 'error', err instanceof Error ? err : String(err));
    }
  }

  private schedule(plugin: string): void {
    const registered = this.probes.get(plugin)!;
    registered.cancel?.();
    registered.cancel = setTimer(
      registered.interval,
      () => {
        void this.probe(plugin).then(() => {
          if (this.serving && this.probes.get(plugin) === registered) this.schedule(plugin);
        });
      },
      true,
    );
  }

  private set(plugin: string, state: HealthState, optional: boolean, error?: string): void {
    const previous = this.table.get(plugin);
    if (previous?.state === state && previous.error === error) return;
    this.table.set(plugin, {
      state,
      optional,
      since: Date.now(),
      ...(error === undefined ? {} : { error }),
    });
    this.emit({ plugin, state, previous: previous?.state, error });
    this.recompute();
  }

  private remove(plugin: string): void {
    if (!this.table.delete(plugin)) return;
    const registered = this.probes.get(plugin);
    if (registered) registered.cancel?.();
    this.probes.delete(plugin);
    this.recompute();
  }

  private setLifecycle(agent: AgentView, state: OverallState): void {
    this.lifecycle = state;
    if (state === 'stopping' || state === 'stopped') {
      for (const p of agent.plugins) {
        if (!this.table.has(p.name)) this.set(p.name, FROM_LIFECYCLE[p.state], p.optional);
      }
    }
    this.recompute();
  }

  /** Overall: the agent's phase while starting or stopping; otherwise from the plugins' health. */
  private recompute(): void {
    let next: OverallState = this.lifecycle;
    if (this.lifecycle === 'ok') {
      const failing = [...this.table.values()].filter((h) => h.state === 'error');
      if (failing.some((h) => !h.optional)) next = 'error';
      else if (failing.length > 0) next = 'degraded';
    }
    if (next === this.overall) return;
    const previous = this.overall;
    this.overall = next;
    this.emit({ state: next, previous });
  }

  private emit(change: HealthChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
