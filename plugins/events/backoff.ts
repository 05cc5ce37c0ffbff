import type { Backoff } from './types.js';

/** Ms to wait after failed attempt `attempt` (1-based): exponential with a cap, or the user's function. */
export function backoffDelay(backoff: Backoff | undefined, attempt: number): number {
  if (typeof backoff === 'function') return Math.max(0, backoff(attempt));
  const initial = backoff?.initial ?? 100;
  const factor = backoff?.factor ?? 2;
  const max = backoff?.max ?? 10_000;
  return Math.min(max, initial * factor ** (attempt - 1));
}
