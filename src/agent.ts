import type { Container } from 'inversify';
import { type ConfigClass, loadConfig, redacted } from './config/load.js';
import { describeSettings, type SettingDescription } from './config/describe.js';
import { envSegment } from './config/names.js';
import { bindPlugins } from './container.js';
import { type ContextHost, PluginContext } from './context.js';
import {
  brokenDependency,
  DEFAULT_TIMEOUT,
  type Entry,
  infoOf,
  newEntry,
  orderEntries,
} from './entry.js';
import {
  AgentStateError,
  AgentStopError,
  ConfigError,
  DuplicatePluginError,
  FlavorkitError,
  PluginStartError,
  PluginStopError,
  toError,
} from './errors.js';
import { type AgentEventName, type AgentListener, Events } from './events.js';
import { flatten } from './flatten.js';
import { Budget, type CallLimits, checkBudget, isThenable, within } from './limits.js';
import type { Logger } from './logging/logger.js';
import { LogRegistry } from './logging/registry.js';
import { type AgentLogOptions, configureFromEnv } from './logging/settings.js';
import { depsOf } from './order.js';
import type { AgentView, InitContext, NamedPlugin, Plugin } from './plugin.js';
import { runUntilSignal } from './run.js';
import { inSequence, type Step } from './sequence.js';
import { logTimeline } from './timeline.js';
import type { AgentState, AgentStatus, Phase, PluginInfo, PluginState } from './vocabulary.js';

export type { AgentState, AgentStatus, PluginInfo, PluginState } from './vocabulary.js';

/** Node's `performance` is a lazy global getter; read it once. */
const clock = performance;

/** Settings of an agent. */
export interface AgentOptions {
  /** Agent name; prefix of its environment variables. Default `agent`. */
  name?: string | undefined;
  /** Service label; default `MICROSERVICE_LABEL` from the environment, else the name. */
  label?: string | undefined;
  /** Ms per lifecycle call (default 15 000); `@Plug({ timeout })` overrides it per plugin. */
  timeout?: number | undefined;
  /** Ms for the whole start. */
  startTimeout?: number | undefined;
  /** Ms for the whole stop. */
  stopTimeout?: number | undefined;
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
}

/**
 * Flattens a flavor (or a list of plugins) into one ordered plugin list and drives
 * its lifecycle: `init` then `afterInit` in order to start, `beforeClose` then
 * `close` in reverse to stop.
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
  private readonly env: Record<string, string | undefined>;
  private readonly log: Logger;
  private readonly events: Events;
  private state: AgentState = 'idle';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private stopRequested = false;
  private settleReady!: (error?: Error) => void;
  private bound?: Container | undefined;
  private contextHost?: ContextHost | undefined;
  /**
   * When the previous call of the running sequence ended: a call's duration runs
   * from there to its own end, so each call reads the clock once.
   */
  private mark = 0;

  constructor(
    root: object | Array<Plugin | NamedPlugin>,
    private readonly options: AgentOptions = {},
  ) {
    this.name = options.name ?? 'agent';
    this.env = options.env ?? process.env;
    this.label = options.label ?? this.env.MICROSERVICE_LABEL ?? this.name;
    const found = flatten(root);
    this.logs =
      (found.find((f) => f.plugin instanceof LogRegistry)?.plugin as LogRegistry | undefined) ??
      new LogRegistry();
    configureFromEnv(this.logs, this.name, this.env, options.log);
    this.log = this.logs.logger('agent');
    this.events = new Events((err) =>
      this.log.error('an event listener threw', { error: toError(err).message }),
    );
    this.entries = orderEntries(found, this.defaultTimeout);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => undefined);
    logTimeline(this.events, this.logs, () => this.plugins);
  }

  private get defaultTimeout(): number {
    return this.options.timeout ?? DEFAULT_TIMEOUT;
  }

  /** The plugins in start order, with their states and timings. */
  get plugins(): PluginInfo[] {
    return this.entries.map(infoOf);
  }

  /**
   * An InversifyJS container in which every plugin is bound by its name and, when
   * no other plugin has the same class, by its class.
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
    return this.entries.flatMap((e) => {
      const cls = configClassOf(e.plugin);
      return cls ? describeSettings(cls, this.name, e.name) : [];
    });
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
   * Starts, waits for a signal, stops, and sets `process.exitCode` to 1 when the
   * start or the stop failed. A second signal while stopping exits at once.
   */
  async run(): Promise<void> {
    await runUntilSignal(
      {
        start: () => this.start(),
        stop: () => this.stop(),
        starting: () => this.state === 'starting',
        crashed: (error) => this.events.emit('crashed', { agent: this.name, error }),
      },
      this.options.signals ?? ['SIGINT', 'SIGTERM'],
      this.log,
    );
  }

  private async startOnce(): Promise<void> {
    const began = clock.now();
    this.state = 'starting';
    this.stopRequested = false;
    for (const entry of this.entries) {
      entry.controller = undefined;
      entry.configs = undefined;
    }
    this.events.emit('starting', { agent: this.name });
    const budget = new Budget('start', this.options.startTimeout);
    try {
      this.validateDeclaredConfig();
      this.mark = clock.now();
      await inSequence(this.entries, (entry) => this.bringUp(entry, 'init', budget));
      this.mark = clock.now();
      await inSequence(this.entries, (entry) => this.bringUp(entry, 'afterInit', budget));
    } catch (err) {
      this.state = 'error';
      const rollbackErrors = await this.shutdown(new Budget('stop', this.options.stopTimeout));
      for (const e of rollbackErrors) this.log.error(`rollback: ${e.message}`);
      const error = toError(err);
      const durationMs = clock.now() - began;
      this.events.emit('startFailed', { agent: this.name, durationMs, error });
      this.settleReady(error);
      throw error;
    }
    const degraded = this.entries.some((e) => e.state === 'failed' || e.state === 'skipped');
    this.state = degraded ? 'degraded' : 'ok';
    const durationMs = clock.now() - began;
    this.events.emit('started', { agent: this.name, durationMs, degraded });
    this.settleReady();
  }

  /** One start phase of one plugin; an optional plugin's failure is recorded, a critical one's thrown. */
  private bringUp(entry: Entry, phase: 'init' | 'afterInit', budget: Budget): Step {
    if (this.stopRequested) {
      throw new AgentStateError(
        `the agent was stopped while starting, before ${entry.name} ${phase}`,
        'Nothing to do: stop() was called during start()',
      );
    }
    if (entry.state === 'failed' || entry.state === 'skipped') return;
    const broken = brokenDependency(entry);
    if (broken) return this.skip(entry, phase, broken);
    let pending: Step;
    try {
      pending = this.invoke(entry, phase, budget);
    } catch (err) {
      return this.startFailure(entry, phase, err);
    }
    return pending?.then(undefined, (err: unknown) => this.startFailure(entry, phase, err));
  }

  /** A critical plugin's failure is thrown as `PluginStartError`; an optional one's is recorded. */
  private startFailure(entry: Entry, phase: 'init' | 'afterInit', err: unknown): void {
    this.setState(entry, 'failed', toError(err).message);
    if (!entry.optional) {
      if (err instanceof FlavorkitError && err.plugin === entry.name) throw err;
      throw new PluginStartError(entry.name, phase, err);
    }
    this.log.warn(`optional plugin ${entry.name} failed in ${phase}: ${entry.error}`);
  }

  /** Leaves out a plugin whose dependency failed; a critical one fails the start. */
  private skip(entry: Entry, phase: 'init' | 'afterInit', broken: Entry): void {
    const because = `depends on "${broken.name}", which ${broken.state === 'failed' ? 'failed' : 'was skipped'}`;
    if (!entry.optional) throw new PluginStartError(entry.name, phase, new Error(because));
    this.setState(entry, 'skipped', because);
    this.log.warn(`${entry.name} not started: ${because}`);
  }

  private async stopOnce(): Promise<void> {
    this.stopRequested = true;
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
    const began = clock.now();
    this.state = 'stopping';
    this.events.emit('stopping', { agent: this.name });
    const errors = await this.shutdown(new Budget('stop', this.options.stopTimeout));
    this.state = 'stopped';
    this.starting = undefined;
    const durationMs = clock.now() - began;
    this.events.emit('stopped', { agent: this.name, durationMs, errors });
    if (errors.length > 0) throw new AgentStopError(errors);
  }

  /** `beforeClose` on every serving plugin in reverse, then `close` on every initialised one. */
  private async shutdown(budget: Budget): Promise<PluginStopError[]> {
    const errors: PluginStopError[] = [];
    const reversed = [...this.entries].reverse();
    for (const phase of ['beforeClose', 'close'] as const) {
      this.mark = clock.now();
      await inSequence(reversed, (entry) => this.closeStep(entry, phase, budget, errors));
    }
    return errors;
  }

  /**
   * `beforeClose` of a serving plugin, or `close` of an initialised one; a failure
   * goes to `errors`. Synchronous when the call is.
   */
  private closeStep(
    entry: Entry,
    phase: 'beforeClose' | 'close',
    budget: Budget,
    errors: PluginStopError[],
  ): Step {
    const flag = phase === 'beforeClose' ? 'serving' : 'initialised';
    if (!entry[flag]) return;
    entry[flag] = false;
    try {
      return this.invoke(entry, phase, budget)?.catch((err: unknown) =>
        this.closeFailed(entry, phase, err, errors),
      );
    } catch (err) {
      this.closeFailed(entry, phase, err, errors);
    }
  }

  /** Records a failed `beforeClose` or `close`; a plugin whose `close` failed is left failed. */
  private closeFailed(
    entry: Entry,
    phase: 'beforeClose' | 'close',
    err: unknown,
    errors: PluginStopError[],
  ): void {
    const error = new PluginStopError(entry.name, phase, err);
    errors.push(error);
    if (phase === 'close') this.setState(entry, 'failed', toError(err).message);
  }

  /** One lifecycle call of one plugin: timed, limited, announced; synchronous when the call is. */
  private invoke(entry: Entry, phase: Phase, budget: Budget): Step {
    if (phase === 'init') this.setState(entry, 'starting');
    else if (phase === 'beforeClose') this.setState(entry, 'stopping');
    const method = entry.plugin[phase];
    if (!method) return this.completed(entry, phase);
    if (budget.remaining() <= 0) checkBudget(this.limitsOf(entry, phase, budget));
    if (this.events.hears.phaseBegin) this.events.emit('phaseBegin', { plugin: entry.name, phase });
    const began = clock.now();
    let result: unknown;
    try {
      result = method.call(
        entry.plugin,
        phase === 'init' || phase === 'afterInit' ? this.contextOf(entry) : undefined!,
      );
    } catch (err) {
      return this.failed(entry, phase, began, err);
    }
    if (!isThenable(result)) return this.ended(entry, phase, began);
    return within(result, this.limitsOf(entry, phase, budget)).then(
      () => this.ended(entry, phase, began),
      (err: unknown) => this.failed(entry, phase, began, err),
    );
  }

  /** Records the end of a call that succeeded. */
  private ended(entry: Entry, phase: Phase, began: number): void {
    this.mark = clock.now();
    const durationMs = this.mark - began;
    entry.timings[phase] = durationMs;
    if (this.events.hears.phaseEnd) {
      this.events.emit('phaseEnd', { plugin: entry.name, phase, durationMs });
    }
    this.completed(entry, phase);
  }

  /** Records the end of a call that threw or rejected, whatever it threw; rethrows it as an Error. */
  private failed(entry: Entry, phase: Phase, began: number, err: unknown): never {
    this.mark = clock.now();
    const durationMs = this.mark - began;
    entry.timings[phase] = durationMs;
    const error = toError(err);
    entry.error = error.message;
    this.events.emit('phaseEnd', { plugin: entry.name, phase, durationMs, error });
    throw error;
  }

  private limitsOf(entry: Entry, phase: Phase, budget: Budget): CallLimits {
    return {
      plugin: entry.name,
      phase,
      limitMs: entry.timeout,
      budget,
      onTimeout: (error) => this.controllerOf(entry).abort(error),
    };
  }

  private completed(entry: Entry, phase: Phase): void {
    if (phase === 'init') entry.initialised = true;
    else if (phase === 'afterInit') {
      entry.serving = true;
      this.setState(entry, 'ok');
    } else if (phase === 'close') this.setState(entry, 'stopped');
  }

  private setState(entry: Entry, state: PluginState, error?: string): void {
    if (error !== undefined) entry.error = error;
    if (entry.state === state) return;
    entry.state = state;
    if (!entry.retired && this.events.hears.pluginState) this.emitState(entry);
  }

  private emitState(entry: Entry): void {
    this.events.emit('pluginState', {
      plugin: entry.name,
      state: entry.state,
      optional: entry.optional,
      ...(entry.error === undefined ? {} : { error: entry.error }),
    });
  }

  private contextOf(entry: Entry): InitContext {
    this.contextHost ??= {
      agent: this,
      logs: this.logs,
      signalOf: (e) => this.controllerOf(e).signal,
      configOf: (e, cls) => this.configOf(e, cls),
    };
    entry.ctx ??= new PluginContext(this.contextHost, entry);
    return entry.ctx;
  }

  /** The abort controller behind a plugin's `ctx.signal`, made on first use. */
  private controllerOf(entry: Entry): AbortController {
    entry.controller ??= new AbortController();
    return entry.controller;
  }

  /** A plugin's configuration from every source. */
  private configOf<T extends object>(entry: Entry, cls: ConfigClass<T>): T {
    const cached = entry.configs?.get(cls);
    if (cached) return cached as T;
    const plugin = entry.name;
    const config = loadConfig(cls, {
      agent: this.name,
      plugin,
      dir: this.options.configDir ?? this.env[`${envSegment(this.name)}_CONFIG_DIR`],
      env: this.env,
      values: this.options.config?.[plugin],
    });
    if (this.logs.enabled('agent', 'debug')) {
      this.log.debug(`configuration of ${plugin}`, redacted(cls, config));
    }
    (entry.configs ??= new Map()).set(cls, config);
    return config;
  }

  /** Validates every declared configuration before any `init`, so bad settings stop start-up early. */
  private validateDeclaredConfig(): void {
    for (const entry of this.entries) {
      const cls = configClassOf(entry.plugin);
      if (!cls) continue;
      try {
        this.configOf(entry, cls);
      } catch (err) {
        if (err instanceof ConfigError && entry.optional) continue;
        throw err;
      }
    }
  }

  /**
   * Adds a plugin to the running agent and starts it (`init`, `afterInit`) under
   * the same time limits as the others. If it fails, only it is rolled back and
   * the agent keeps serving; the promise rejects with `PluginStartError`.
   * Plugins added this way are optional unless told otherwise: their failures
   * later degrade the agent instead of failing it.
   */
  async attach(item: NamedPlugin): Promise<void> {
    this.assertServing(`attach "${item.name}"`);
    const existing = this.entries.find((e) => e.name === item.name);
    const path = item.path ?? `attached.${item.name}`;
    if (existing) throw new DuplicatePluginError(item.name, existing.path, path);
    const entry = newEntry(
      item.name,
      path,
      item.plugin,
      { optional: true, ...item },
      this.defaultTimeout,
    );
    entry.deps = depsOf(item.plugin, new Set(this.entries.map((e) => e.plugin))).map((p) =>
      this.entries.find((e) => e.plugin === p)!,
    );
    this.entries.push(entry);
    try {
      await this.startAlone(entry);
    } catch (err) {
      this.forget(entry);
      throw err;
    }
    this.bound?.bind(entry.name).toConstantValue(entry.plugin);
  }

  /**
   * Starts `plugin` and, once it serves, stops and removes the plugin called
   * `name`, which it replaces. If the new one fails to start, the old one keeps
   * serving and the promise rejects.
   */
  async replace(name: string, plugin: Plugin): Promise<void> {
    this.assertServing(`replace "${name}"`);
    const old = this.entryNamed(name);
    const fresh = newEntry(name, old.path, plugin, old, this.defaultTimeout);
    fresh.deps = old.deps;
    old.retired = true;
    try {
      await this.startAlone(fresh);
    } catch (err) {
      old.retired = false;
      this.emitState(old);
      throw err;
    }
    this.entries[this.entries.indexOf(old)] = fresh;
    this.bound?.rebind(name).toConstantValue(plugin);
    const errors = await this.closeAlone(old);
    if (errors.length > 0) throw new AgentStopError(errors);
  }

  /** Stops and removes one plugin from the running agent; failures come back as `AgentStopError`. */
  async detach(name: string): Promise<void> {
    const entry = this.entryNamed(name);
    const errors = await this.closeAlone(entry);
    this.forget(entry);
    if (this.bound?.isBound(name)) this.bound.unbind(name);
    if (errors.length > 0) throw new AgentStopError(errors);
  }

  private async startAlone(entry: Entry): Promise<void> {
    const budget = new Budget('start', this.options.startTimeout);
    let phase: 'init' | 'afterInit' = 'init';
    try {
      this.mark = clock.now();
      await this.invoke(entry, phase, budget);
      phase = 'afterInit';
      this.mark = clock.now();
      await this.invoke(entry, phase, budget);
    } catch (err) {
      this.setState(entry, 'failed', toError(err).message);
      for (const e of await this.closeAlone(entry)) {
        this.log.error(`rollback of ${entry.name}: ${e.message}`);
      }
      if (err instanceof FlavorkitError && err.plugin === entry.name) throw err;
      throw new PluginStartError(entry.name, phase, err);
    }
  }

  private async closeAlone(entry: Entry): Promise<PluginStopError[]> {
    const errors: PluginStopError[] = [];
    const budget = new Budget('stop', this.options.stopTimeout);
    for (const phase of ['beforeClose', 'close'] as const) {
      this.mark = clock.now();
      await this.closeStep(entry, phase, budget, errors);
    }
    return errors;
  }

  /** Takes a plugin out of the list; listeners hear it as `pluginRemoved`. */
  private forget(entry: Entry): void {
    this.entries.splice(this.entries.indexOf(entry), 1);
    this.events.emit('pluginRemoved', { plugin: entry.name });
  }

  private entryNamed(name: string): Entry {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry) {
      throw new AgentStateError(
        `no plugin is called "${name}"`,
        'Check agent.plugins for the names',
      );
    }
    return entry;
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

function configClassOf(plugin: Plugin): ConfigClass | undefined {
  return (plugin.constructor as { configClass?: ConfigClass }).configClass;
}
