import { PluginTimeoutError } from './errors.js';
import type { Phase } from './plugin.js';

/** A total time budget for a start or a stop; unlimited when no total is set. */
export class Budget {
  private readonly deadline: number;

  constructor(
    readonly kind: 'start' | 'stop',
    totalMs: number | undefined,
  ) {
    this.deadline = totalMs === undefined ? Infinity : Date.now() + totalMs;
  }

  /** Ms left, never negative. */
  remaining(): number {
    return this.deadline === Infinity ? Infinity : Math.max(0, this.deadline - Date.now());
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

/** Settles as `pending` does, or rejects with `expired()` after `ms`; the timer never outlives it. */
export function withTimeout<T>(
  pending: PromiseLike<T>,
  ms: number,
  expired: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(expired()), ms);
  });
  return Promise.race([pending, deadline]).finally(() => clearTimeout(timer));
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
