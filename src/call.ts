import { type Entry, controllerOf } from './entry.js';
import { toError } from './errors.js';
import type { Events } from './events.js';
import { type Budget, type CallLimits, checkBudget, clock, isThenable, within } from './limits.js';
import type { InitContext } from './plugin.js';
import type { Step } from './sequence.js';
import type { Phase, PluginState } from './vocabulary.js';

/**
 * Runs one lifecycle call of one plugin: announces it, invokes it under its time
 * limit and the budget, records when it began and how long it took, and moves
 * the plugin's state. Synchronous when the call is.
 */
export class Calls {
  /**
   * The clock reading that ended the last synchronous call (`NaN`: none), kept
   * while the same synchronous run goes on and no listener has run since: the
   * next call begins there, so synchronous calls read the clock once each, not twice.
   */
  private endAt = NaN;
  /** `events.delivered` when `endAt` was read. */
  private endDelivered = 0;
  /** A microtask will forget `endAt` once this synchronous run ends. */
  private forgetting = false;

  constructor(
    private readonly events: Events,
    private readonly contextOf: (entry: Entry) => InitContext,
  ) {}

  /** Calls `phase` of the plugin; a failure, whatever was thrown, comes back as an Error. */
  invoke(entry: Entry, phase: Phase, budget: Budget): Step {
    if (phase === 'init') this.setState(entry, 'starting');
    else if (phase === 'beforeClose') this.setState(entry, 'stopping');
    // called below with the plugin as `this`
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const method = entry.plugin[phase];
    if (!method) return this.completed(entry, phase);
    if (budget.remaining() <= 0) checkBudget(limitsOf(entry, phase, budget));
    if (this.events.hears.phaseBegin) this.events.emit('phaseBegin', { plugin: entry.name, phase });
    const began = this.beginning(budget);
    entry.began[phase] = began - budget.origin;
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
    return this.settle(result, entry, phase, began, budget);
  }

  /** Moves a plugin to `state`; listeners hear it unless the plugin is being replaced. */
  setState(entry: Entry, state: PluginState, error?: string): void {
    if (error !== undefined) entry.error = error;
    if (entry.state === state) return;
    entry.state = state;
    if (!entry.retired && this.events.hears.pluginState) this.announceState(entry);
  }

  /** Tells listeners the plugin's current state. */
  announceState(entry: Entry): void {
    this.events.emit('pluginState', {
      plugin: entry.name,
      state: entry.state,
      optional: entry.optional,
      ...(entry.error === undefined ? {} : { error: entry.error }),
    });
  }

  /**
   * Waits for a call that returned a promise, under its limits. (Its own method:
   * the closures would otherwise cost every call, synchronous ones too, a context.)
   */
  private settle(
    result: PromiseLike<unknown>,
    entry: Entry,
    phase: Phase,
    began: number,
    budget: Budget,
  ): Promise<void> {
    return within(result, limitsOf(entry, phase, budget)).then(
      () => this.ended(entry, phase, began),
      (err: unknown) => this.failed(entry, phase, began, err),
    );
  }

  /** Records the end of a call that succeeded. */
  private ended(entry: Entry, phase: Phase, began: number): void {
    const end = clock.now();
    const delivered = this.events.delivered;
    const durationMs = end - began;
    entry.timings[phase] = durationMs;
    if (this.events.hears.phaseEnd) {
      this.events.emit('phaseEnd', { plugin: entry.name, phase, durationMs });
    }
    this.completed(entry, phase);
    this.keepEnd(end, delivered);
  }

  /** Records the end of a call that threw or rejected, whatever it threw; rethrows it as an Error. */
  private failed(entry: Entry, phase: Phase, began: number, err: unknown): never {
    const durationMs = clock.now() - began;
    entry.timings[phase] = durationMs;
    const error = toError(err);
    entry.error = error.message;
    this.events.emit('phaseEnd', { plugin: entry.name, phase, durationMs, error });
    throw error;
  }

  /** When a call begins: where the call just before it ended, when that is still exact, else now. */
  private beginning(budget: Budget): number {
    const at = this.endAt;
    this.endAt = NaN;
    // NaN >= origin is false
    if (at >= budget.origin && this.endDelivered === this.events.delivered) return at;
    return clock.now();
  }

  /** Keeps the reading that ended a synchronous call until this synchronous run ends. */
  private keepEnd(at: number, delivered: number): void {
    this.endAt = at;
    this.endDelivered = delivered;
    if (!this.forgetting) this.forgetEndLater();
  }

  private forgetEndLater(): void {
    this.forgetting = true;
    queueMicrotask(() => {
      this.endAt = NaN;
      this.forgetting = false;
    });
  }

  private completed(entry: Entry, phase: Phase): void {
    if (phase === 'init') entry.initialised = true;
    else if (phase === 'afterInit') {
      entry.serving = true;
      this.setState(entry, 'ok');
    } else if (phase === 'close') this.setState(entry, 'stopped');
  }
}

function limitsOf(entry: Entry, phase: Phase, budget: Budget): CallLimits {
  return {
    plugin: entry.name,
    phase,
    limitMs: entry.timeout,
    budget,
    onTimeout: (error) => controllerOf(entry).abort(error),
  };
}
