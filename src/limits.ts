import { ConfigError, PluginTimeoutError } from './errors.js';
import type { Phase } from './vocabulary.js';

/** The one monotonic clock of budgets and durations (read once: `performance` is a lazy global getter). */
export const clock = performance;

/** The longest delay `setTimeout` honours; a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Checks a time limit in ms where it comes in. `Infinity` and `0` mean "no
 * limit" and come back as `Infinity`; a positive number comes back as it is;
 * a negative number, `NaN` or a non-number is a `ConfigError` naming `setting`
 * (and `plugin`, default `agent`).
 */
export function timeLimit(value: unknown, setting: string, plugin = 'agent'): number {
  if (typeof value === 'number' && value >= 0) return value === 0 ? Infinity : value;
  throw new ConfigError(plugin, [
    {
      plugin,
      setting,
      source: 'code',
      message: `${describe(value)} is not a time limit: give milliseconds >= 0 (0 or Infinity for no limit)`,
    },
  ]);
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : `a ${typeof value}`;
}

/**
 * Calls `fn` once after `ms` (never when `ms` is `Infinity`), also past the
 * 2^31 ms that `setTimeout` can wait, and returns a function that cancels it.
 * The timer does not keep the process alive when `unref` is true.
 */
export function setTimer(ms: number, fn: () => void, unref = false): () => void {
  if (ms === Infinity) return () => undefined;
  const deadline = clock.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (wait: number): void => {
    timer = setTimeout(
      () => {
        const left = deadline - clock.now();
        if (left > 1) arm(left);
        else fn();
      },
      Math.min(wait, MAX_TIMER_MS),
    );
    if (unref) timer.unref();
  };
  arm(ms);
  return () => clearTimeout(timer);
}

/** A total time budget for a start or a stop; unlimited when no total is set. */
export class Budget {
  /** When the start or stop began, on `clock`. */
  readonly origin = clock.now();
  private readonly deadline: number;

  constructor(
    readonly kind: 'start' | 'stop',
    totalMs: number | undefined,
  ) {
    this.deadline =
      totalMs === undefined || totalMs === Infinity ? Infinity : this.origin + totalMs;
  }

  /** Ms left, never negative. */
  remaining(): number {
    return this.deadline === Infinity ? Infinity : Math.max(0, this.deadline - clock.now());
  }
}

/** Where a lifecycle call runs: its plugin, phase, own limit and the budget around it. */
export interface CallLimits {
  plugin: string;
  phase: Phase;
  limitMs: number;
  budget: Budget;
  /** Called with the time-out error when the call passes its limit. */
  onTimeout: (error: PluginTimeoutError) => void;
}

/** Throws `PluginTimeoutError` when the budget is spent before a call begins. */
export function checkBudget(limits: CallLimits): void {
  if (limits.budget.remaining() <= 0) throw timeoutOf(limits, 0);
}

/**
 * Waits for a pending lifecycle call under the smaller of its own limit and what
 * is left of the budget; the timer never outlives the call.
 */
export function within(pending: PromiseLike<unknown>, limits: CallLimits): Promise<void> {
  const ms = Math.min(limits.limitMs, limits.budget.remaining());
  return withTimeout(pending, ms, () => timeoutOf(limits, ms)).then(() => undefined);
}

/**
 * Settles as `pending` does, or rejects with `expired()` after `ms` (never when
 * `ms` is `Infinity`); the timer never outlives it.
 */
export function withTimeout<T>(
  pending: PromiseLike<T>,
  ms: number,
  expired: () => Error,
): Promise<T> {
  if (ms === Infinity) return Promise.resolve(pending);
  let cancel: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    cancel = setTimer(ms, () => reject(expired()));
  });
  return Promise.race([pending, deadline]).finally(() => cancel?.());
}

function timeoutOf(limits: CallLimits, ms: number): PluginTimeoutError {
  const which = ms < limits.limitMs ? limits.budget.kind : 'call';
  const error = new PluginTimeoutError(limits.plugin, limits.phase, ms, which);
  limits.onTimeout(error);
  return error;
}

/** True for promises and other thenables. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
