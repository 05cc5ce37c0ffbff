import { HeldKey } from './held.js';
import type { KvStore } from './types.js';

/** Options of `lock`. */
export interface LockOptions {
  /** Ms the lock outlives a holder that stops refreshing it (killed, cut off); default 15 000. */
  ttl?: number;
  /** Gives up waiting for the lock when aborted. */
  signal?: AbortSignal;
}

/** A held lock. */
export interface Lock {
  readonly name: string;
  /**
   * Grows with every new holder: pass it to the resource the lock protects, which
   * refuses writes carrying a smaller token than one it has seen.
   */
  readonly token: number;
  /** True until released or lost. */
  readonly held: boolean;
  /** Resolves when the lock is no longer held: released, or lost because it could not be refreshed. */
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

/** Where locks live in the key space. */
export const LOCKS = '/_locks/';

/** Waits for and takes the lock `name`; see `HeldKey` for how it is kept. */
export async function lock(
  store: KvStore,
  name: string,
  owner: string,
  options: LockOptions = {},
): Promise<Lock> {
  const held = await HeldKey.take<unknown>(
    store,
    LOCKS + name,
    { owner },
    {
      ttl: options.ttl ?? 15_000,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
  return {
    name,
    token: held.token,
    get held() {
      return held.held;
    },
    lost: held.lost,
    release: () => held.release(),
  };
}
