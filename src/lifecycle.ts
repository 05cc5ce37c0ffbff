import type { Calls } from './call.js';
import { brokenDependency, dependentsOf, type Entry } from './entry.js';
import {
  AgentStateError,
  FlavorkitError,
  PluginStartError,
  PluginStopError,
  toError,
} from './errors.js';
import type { Events } from './events.js';
import { Budget, clock } from './limits.js';
import { inDependencyOrder } from './schedule.js';
import type { Step } from './sequence.js';
import { START_PHASES, STOP_PHASES, type StartPhase, type StopPhase } from './vocabulary.js';

/**
 * The start and stop sequences over a list of plugins, as docs/lifecycle.md
 * describes them: `init` then `afterInit` in dependency order, `beforeClose`
 * then `close` in reverse, up to `concurrency` calls at a time.
 */
export class Lifecycle {
  /** Set by `stop()` during a start: no further start call begins. */
  stopRequested = false;

  constructor(
    private readonly agent: string,
    private readonly calls: Calls,
    private readonly events: Events,
    private readonly concurrency: number,
  ) {}

  /** `init` on every plugin, then `afterInit` on every plugin; a critical failure throws. */
  async start(entries: readonly Entry[], budget: Budget): Promise<void> {
    for (const phase of START_PHASES) {
      await inDependencyOrder(
        entries,
        (e) => e.deps,
        this.concurrency,
        (entry) => this.bringUp(entry, phase, budget),
      );
    }
  }

  /** `beforeClose` on every serving plugin, then `close` on every initialised one, in reverse. */
  async shutdown(entries: readonly Entry[], budget: Budget): Promise<PluginStopError[]> {
    const errors: PluginStopError[] = [];
    const reversed = [...entries].reverse();
    const dependents = this.concurrency > 1 ? dependentsOf(entries) : undefined;
    for (const phase of STOP_PHASES) {
      await inDependencyOrder(
        reversed,
        (e) => dependents?.get(e) ?? [],
        this.concurrency,
        (entry) => this.closeStep(entry, phase, budget, errors),
      );
    }
    return errors;
  }

  /** Stops what a failed start started, announced as `rollingBack` and `rolledBack`. */
  async rollBack(entries: readonly Entry[], error: Error, stopTimeout: number): Promise<void> {
    const began = clock.now();
    this.events.emit('rollingBack', { agent: this.agent, error });
    const errors = await this.shutdown(entries, new Budget('stop', stopTimeout));
    const durationMs = clock.now() - began;
    this.events.emit('rolledBack', { agent: this.agent, durationMs, errors });
  }

  /** One start phase of one plugin; an optional plugin's failure is recorded, a critical one's thrown. */
  bringUp(entry: Entry, phase: StartPhase, budget: Budget): Step {
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
      pending = this.calls.invoke(entry, phase, budget);
    } catch (err) {
      return this.startFailure(entry, phase, err);
    }
    return pending && this.onStartFailure(pending, entry, phase);
  }

  /**
   * `beforeClose` of a serving plugin, or `close` of an initialised one; a failure
   * goes to `errors`. Synchronous when the call is.
   */
  closeStep(entry: Entry, phase: StopPhase, budget: Budget, errors: PluginStopError[]): Step {
    const flag = phase === 'beforeClose' ? 'serving' : 'initialised';
    if (!entry[flag]) return;
    entry[flag] = false;
    let pending: Step;
    try {
      pending = this.calls.invoke(entry, phase, budget);
    } catch (err) {
      return this.closeFailed(entry, phase, err, errors);
    }
    return pending && this.onCloseFailure(pending, entry, phase, errors);
  }

  // the closures live in their own methods, so that a synchronous call does not
  // pay for a context it never uses
  private onStartFailure(pending: Promise<void>, entry: Entry, phase: StartPhase): Promise<void> {
    return pending.then(undefined, (err: unknown) => this.startFailure(entry, phase, err));
  }

  private onCloseFailure(
    pending: Promise<void>,
    entry: Entry,
    phase: StopPhase,
    errors: PluginStopError[],
  ): Promise<void> {
    return pending.catch((err: unknown) => this.closeFailed(entry, phase, err, errors));
  }

  /** A critical plugin's failure is thrown as `PluginStartError`; an optional one's is recorded. */
  private startFailure(entry: Entry, phase: StartPhase, err: unknown): void {
    const error = toError(err);
    this.calls.setState(entry, 'failed', error.message);
    this.events.emit('pluginFailed', {
      plugin: entry.name,
      phase,
      optional: entry.optional,
      error,
    });
    if (entry.optional) return;
    if (err instanceof FlavorkitError && err.plugin === entry.name) throw err;
    throw new PluginStartError(entry.name, phase, err);
  }

  /** Leaves out a plugin whose dependency failed; a critical one fails the start. */
  private skip(entry: Entry, phase: StartPhase, broken: Entry): void {
    const because = `depends on "${broken.name}", which ${broken.state === 'failed' ? 'failed' : 'was skipped'}`;
    if (!entry.optional) throw new PluginStartError(entry.name, phase, new Error(because));
    this.calls.setState(entry, 'skipped', because);
    this.events.emit('pluginSkipped', { plugin: entry.name, because });
  }

  /** Records a failed `beforeClose` or `close`; a plugin whose `close` failed is left failed. */
  private closeFailed(
    entry: Entry,
    phase: StopPhase,
    err: unknown,
    errors: PluginStopError[],
  ): void {
    errors.push(new PluginStopError(entry.name, phase, err));
    if (phase === 'close') this.calls.setState(entry, 'failed', toError(err).message);
  }
}
