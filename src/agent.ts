import type { Container } from 'inversify';
import { attach, type ChangeHost, detach, replace } from './attach.js';
import { Calls } from './call.js';
import type { SettingDescription } from './config/describe.js';
import { bindPlugins } from './container.js';
import { PluginContexts } from './context.js';
import { DEFAULT_TIMEOUT, type Entry, infoOf, newEntry, orderEntries } from './entry.js';
import { AgentStateError, AgentStopError, ConfigError, toError } from './errors.js';
import { type AgentEventName, type AgentListener, Events } from './events.js';
import { flatten } from './flatten.js';
import { Lifecycle } from './lifecycle.js';
import { Budget, clock, timeLimit } from './limits.js';
import { LogRegistry } from './logging/registry.js';
import { type AgentLogOptions, configureFromEnv } from './logging/settings.js';
import type { AgentView, NamedPlugin, Plugin } from './plugin.js';
import { logPrinter, type Printer } from './printer.js';
import { runUntilSignal } from './run.js';
import type { AgentState, AgentStatus, PluginInfo } from './vocabulary.js';

export type { AgentState, AgentStatus, PluginInfo, PluginState } from './vocabulary.js';

/** Settings of an agent. */
export interface AgentOptions {
  /** Agent name; prefix of its environment variables. Default `agent`. */
  name?: string | undefined;
  /** Service label; default `MICROSERVICE_LABEL` from the environment, else the name. */
  label?: string | undefined;
  /**
   * Ms per lifecycle call (default 15 000); `@Plug({ timeout })` overrides it per
   * plugin. `0` and `Infinity` mean no limit.
   */
  timeout?: number | undefined;
  /** Ms for the whole start; default, `0` and `Infinity`: no limit. */
  startTimeout?: number | undefined;
  /** Ms for the whole stop; default, `0` and `Infinity`: no limit. */
  stopTimeout?: number | undefined;
  /**
   * How many lifecycle calls may run at once (default 1: one after the other,
   * in order). Plugins whose dependencies have all finished a phase run that
   * phase together, up to this many; stop runs in reverse dependency order.
   */
  concurrency?: number | undefined;
  /** Configuration values per plugin name, given in code (highest precedence). */
  config?: Record<string, Record<string, unknown>>;
  /** Directory of `<plugin>.yaml|.yml|.json` files; default env `{AGENT}_CONFIG_DIR`. */
  configDir?: string | undefined;
  /** Environment to read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Signals `run()` stops on; default SIGINT and SIGTERM. */
  signals?: NodeJS.Signals[] | undefined;
  /** Log settings; level and format default to env `{AGENT}_LOG_LEVEL` and `{AGENT}_LOG_FORMAT`. */
  log?: AgentLogOptions | undefined;
  /** Turns the agent's events into output; default `logPrinter` (the agent's log lines). */
  printer?: Printer | undefined;
}

/**
 * Flattens a flavor (or a list of plugins) into one ordered plugin list and drives
 * its lifecycle: `init` then `afterInit` in order to start, `beforeClose` then
 * `close` in reverse to stop. This class is the agent's state machine
 * (idle → starting → ok | degraded | error → stopping → stopped); the sequences
 * live in `Lifecycle`, one call in `Calls`, run-time changes in `attach.ts`.
 */
export class Agent implements AgentView {
  /** The agent's name. */
  readonly name: string;
  /** The service label. */
  readonly label: string;
  /** The named loggers of this agent; a `LogRegistry` plugin in the flavor is used when present. */
  readonly logs: LogRegistry;
  /** Settles once: resolves when a start succeeded, rejects when the first start failed. */
  readonly ready: Promise<void>;

  private readonly entries: Entry[];
  private readonly events: Events;
  private readonly lifecycle: Lifecycle;
  private readonly contexts: PluginContexts;
  private readonly changes: ChangeHost;
  private readonly startTimeout: number;
  private readonly stopTimeout: number;
  private state: AgentState = 'idle';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private settleReady!: (error?: Error) => void;
  private bound?: Container | undefined;

  constructor(
    root: object | Array<Plugin | NamedPlugin>,
    private readonly options: AgentOptions = {},
  ) {
    this.name = options.name ?? 'agent';
    const defaultTimeout = optionalLimit(options.timeout, 'timeout', DEFAULT_TIMEOUT);
    this.startTimeout = optionalLimit(options.startTimeout, 'startTimeout', Infinity);
    this.stopTimeout = optionalLimit(options.stopTimeout, 'stopTimeout', Infinity);
    const concurrency = concurrencyOf(options.concurrency);
    const env = options.env ?? process.env;
    this.label = options.label ?? env.MICROSERVICE_LABEL ?? this.name;
    const listed = flatten(root, (name, path, plugin, plugOptions) =>
      newEntry(name, path, plugin, plugOptions, defaultTimeout),
    );
    this.logs =
      (listed.find((e) => e.plugin instanceof LogRegistry)?.plugin as LogRegistry | undefined) ??
      new LogRegistry();
    configureFromEnv(this.logs, this.name, env, options.log);
    this.events = new Events((err, event) => {
      if (event === 'listenerFailed') return;
      this.events.emit('listenerFailed', { event, error: toError(err) });
    });
    this.entries = orderEntries(listed);
    this.contexts = new PluginContexts(this, this.logs, this.events, {
      agent: this.name,
      env,
      configDir: options.configDir,
      values: options.config,
    });
    const calls = new Calls(this.events, (entry) => this.contexts.contextOf(entry));
    this.lifecycle = new Lifecycle(this.name, calls, this.events, concurrency);
    this.changes = {
      entries: this.entries,
      calls,
      lifecycle: this.lifecycle,
      events: this.events,
      defaultTimeout,
      startTimeout: this.startTimeout,
      stopTimeout: this.stopTimeout,
      container: () => this.bound,
      assertServing: (what) => this.assertServing(what),
    };
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => undefined);
    (options.printer ?? logPrinter)(this);
  }

  /** The plugins in start order, with their states and timings. */
  get plugins(): PluginInfo[] {
    return this.entries.map(infoOf);
  }

  /**
   * An InversifyJS container in which every plugin is bound by its name and, when
   * no other plugin has the same class, by its class. Built on first use.
   */
  get container(): Container {
    this.bound ??= bindPlugins(this.entries);
    return this.bound;
  }

  /** The agent's state and each plugin's. */
  status(): AgentStatus {
    return { state: this.state, plugins: this.plugins };
  }

  /** Subscribes to a lifecycle event; returns a function that unsubscribes. */
  on<E extends AgentEventName>(event: E, listener: AgentListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /** Every setting of every plugin that declares `static configClass`. */
  describeConfig(): SettingDescription[] {
    return this.contexts.describe(this.entries);
  }

  /**
   * Starts every plugin: `init` in order, then `afterInit` in order. If a critical
   * plugin fails, what started is stopped in reverse and the promise rejects with
   * `PluginStartError`. Calling it again while started returns the same promise.
   */
  start(): Promise<void> {
    if (this.stopping) {
      return Promise.reject(
        new AgentStateError('start() was called while the agent is stopping', 'Await stop() first'),
      );
    }
    this.starting ??= this.startOnce().catch((err: unknown) => {
      this.starting = undefined;
      throw err;
    });
    return this.starting;
  }

  /**
   * Stops every plugin: `beforeClose` in reverse order, then `close` in reverse
   * order. Every plugin gets its calls even when others fail; the failures come
   * back together as `AgentStopError`.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  /**
   * Owns the process: starts, waits for a signal, stops; exit code 1 when the
   * start or the stop failed or an uncaught error happened (which stops the
   * agent). A second signal while stopping exits at once.
   */
  async run(): Promise<void> {
    await runUntilSignal(
      {
        start: () => this.start(),
        stop: () => this.stop(),
        starting: () => this.state === 'starting',
        emit: (name, event) => this.events.emit(name, event),
      },
      this.options.signals ?? ['SIGINT', 'SIGTERM'],
    );
  }

  /**
   * Adds a plugin to the running agent and starts it (`init`, `afterInit`) under
   * the same time limits as the others. If it fails, only it is rolled back and
   * the agent keeps serving; the promise rejects with `PluginStartError`.
   * Plugins added this way are optional unless told otherwise: their failures
   * later degrade the agent instead of failing it.
   */
  attach(item: NamedPlugin): Promise<void> {
    return attach(this.changes, item);
  }

  /**
   * Starts `plugin` and, once it serves, stops and removes the plugin called
   * `name`, which it replaces. If the new one fails to start, the old one keeps
   * serving and the promise rejects.
   */
  replace(name: string, plugin: Plugin): Promise<void> {
    return replace(this.changes, name, plugin);
  }

  /** Stops and removes one plugin from the running agent; failures come back as `AgentStopError`. */
  detach(name: string): Promise<void> {
    return detach(this.changes, name);
  }

  private async startOnce(): Promise<void> {
    const budget = new Budget('start', this.startTimeout);
    this.state = 'starting';
    this.lifecycle.stopRequested = false;
    for (const entry of this.entries) {
      entry.controller = undefined;
      entry.configs = undefined;
    }
    this.events.emit('starting', { agent: this.name });
    try {
      this.contexts.validateDeclared(this.entries);
      await this.lifecycle.start(this.entries, budget);
    } catch (err) {
      this.state = 'error';
      const error = toError(err);
      await this.lifecycle.rollBack(this.entries, error, this.stopTimeout);
      const durationMs = clock.now() - budget.origin;
      this.events.emit('startFailed', { agent: this.name, durationMs, error });
      this.settleReady(error);
      throw error;
    }
    const degraded = this.entries.some((e) => e.state === 'failed' || e.state === 'skipped');
    this.state = degraded ? 'degraded' : 'ok';
    const durationMs = clock.now() - budget.origin;
    this.events.emit('started', { agent: this.name, durationMs, degraded });
    this.settleReady();
  }

  private async stopOnce(): Promise<void> {
    this.lifecycle.stopRequested = true;
    let stopping: AgentStateError | undefined;
    for (const entry of this.entries) {
      if (!entry.controller) continue;
      stopping ??= new AgentStateError(
        'the agent is stopping',
        'Finish or abandon the work in progress',
      );
      entry.controller.abort(stopping);
    }
    if (this.starting) await this.starting.catch(() => undefined);
    if (this.state === 'idle' || this.state === 'stopped' || this.state === 'error') return;
    const budget = new Budget('stop', this.stopTimeout);
    this.state = 'stopping';
    this.events.emit('stopping', { agent: this.name });
    const errors = await this.lifecycle.shutdown(this.entries, budget);
    this.state = 'stopped';
    this.starting = undefined;
    const durationMs = clock.now() - budget.origin;
    this.events.emit('stopped', { agent: this.name, durationMs, errors });
    if (errors.length > 0) throw new AgentStopError(errors);
  }

  private assertServing(what: string): void {
    if (this.state !== 'ok' && this.state !== 'degraded') {
      throw new AgentStateError(
        `cannot ${what} while the agent is ${this.state}`,
        'Add and remove plugins at run time only while the agent runs',
      );
    }
  }
}

/** A time limit from the options, checked, or `fallback` when it is not given. */
function optionalLimit(value: number | undefined, setting: string, fallback: number): number {
  return value === undefined ? fallback : timeLimit(value, setting);
}

/** `AgentOptions.concurrency`, checked: a whole number >= 1 (`Infinity`: no limit). */
function concurrencyOf(value: number | undefined): number {
  if (value === undefined) return 1;
  if (value === Infinity || (Number.isInteger(value) && value >= 1)) return value;
  throw new ConfigError('agent', [
    {
      plugin: 'agent',
      setting: 'concurrency',
      source: 'code',
      message: `${String(value)} is not a number of calls: give a whole number >= 1`,
    },
  ]);
}
