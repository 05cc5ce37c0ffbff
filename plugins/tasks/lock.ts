/** A lock held until `release` or until its time to live passes. */
export interface Lease {
  release(): Promise<void>;
}

/**
 * What the tasks plugin needs of a distributed lock (the KV plugin's, say):
 * `lock` takes the lock when it is free and resolves with a lease, or resolves
 * with `undefined` at once when another holder has it. It never waits.
 */
export interface TaskLock {
  lock(name: string, options: { ttl: number }): Promise<Lease | undefined>;
}

/**
 * Locks in this process's memory, with time to live: for tests, and for
 * several agents in one process. Replicas on other machines need a shared store.
 */
export class MemoryLocks implements TaskLock {
  private readonly held = new Map<string, { until: number; token: object }>();

  lock(name: string, { ttl }: { ttl: number }): Promise<Lease | undefined> {
    const now = Date.now();
    for (const [key, { until }] of this.held) if (until <= now) this.held.delete(key);
    const current = this.held.get(name);
    if (current && current.until > now) return Promise.resolve(undefined);
    const token = {};
    this.held.set(name, { until: now + ttl, token });
    return Promise.resolve({
      release: () => {
        if (this.held.get(name)?.token === token) this.held.delete(name);
        return Promise.resolve();
      },
    });
  }
}
