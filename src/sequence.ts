/** A step that may finish at once or later. */
export type Step = void | Promise<void>;

/**
 * Calls `step` on each item in order. It stays synchronous while steps do and
 * awaits a step only when it returns a promise, so a list of synchronous plugins
 * costs no promise per plugin.
 */
export function inSequence<T>(items: readonly T[], step: (item: T) => Step, from = 0): Step {
  for (let i = from; i < items.length; i++) {
    const pending = step(items[i]!);
    if (pending) return continueAfter(pending, items, step, i + 1);
  }
}

// its own function: a closure in the loop would make a context for every item
function continueAfter<T>(
  pending: Promise<void>,
  items: readonly T[],
  step: (item: T) => Step,
  next: number,
): Promise<void> {
  return pending.then(() => inSequence(items, step, next));
}
