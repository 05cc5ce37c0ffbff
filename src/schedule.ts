import { inSequence, type Step } from './sequence.js';

/**
 * Calls `step` on each item, at most `limit` at a time, each once every item
 * of `waitsFor(item)` has finished; among items that may begin, the earlier in
 * `items` begins first. With a limit of 1 this is `inSequence`: one after the
 * other, in the order given (which must then already respect `waitsFor`).
 * When a step throws or rejects, no new step begins; the running ones are
 * awaited and the first failure is thrown.
 */
export function inDependencyOrder<T>(
  items: readonly T[],
  waitsFor: (item: T) => readonly T[],
  limit: number,
  step: (item: T) => Step,
): Step {
  if (limit <= 1) return inSequence(items, step);
  const listed = new Set(items);
  const finished = new Set<T>();
  const begun = new Set<T>();
  const ready = (item: T) => waitsFor(item).every((d) => finished.has(d) || !listed.has(d));
  return new Promise<void>((resolve, reject) => {
    let running = 0;
    let first = 0;
    let failure: { error: unknown } | undefined;
    const fail = (error: unknown): void => {
      failure ??= { error };
    };
    const pump = (): void => {
      for (let again = true; again && !failure;) {
        again = false;
        while (first < items.length && begun.has(items[first]!)) first++;
        for (let i = first; i < items.length && running < limit && !failure; i++) {
          const item = items[i]!;
          if (begun.has(item) || !ready(item)) continue;
          begun.add(item);
          let pending: Step;
          try {
            pending = step(item);
          } catch (err) {
            fail(err);
            break;
          }
          if (!pending) {
            finished.add(item);
            again = true;
            continue;
          }
          running += 1;
          pending.then(
            () => {
              running -= 1;
              finished.add(item);
              pump();
            },
            (err: unknown) => {
              running -= 1;
              fail(err);
              pump();
            },
          );
        }
      }
      if (running > 0) return;
      if (failure) reject(failure.error);
      else if (finished.size === items.length) resolve();
      else reject(new Error('inDependencyOrder: items wait for each other in a circle'));
    };
    pump();
  });
}
