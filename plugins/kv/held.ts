import type { KvStore } from './types.js';

/** Options of a key held under a TTL. */
export interface HoldOptions {
  /** Ms the key outlives its holder; it is refreshed every third of it. */
  ttl: number;
  /** Gives up waiting when aborted. */
  signal?: AbortSignal;
}

/**
 * A key this process holds: written when absent, refreshed under its TTL by a
 * compare-and-swap on the revision last written, so a holder that stops
 * refreshing (killed, cut off) loses it when the TTL passes, and learns so.
 */
export class HeldKey<T> {
  /** The revision the key was taken at: it grows with every new holder (a fencing token). */
  readonly token: number;
  /** Resolves when the key is no longer held (released or lost). */
  readonly lost: Promise<void>;
  private revision: number;
  private timer?: NodeJS.Timeout;
  private refreshed = Date.now();
  private ended = false;
  private inflight?: Promise<void>;
  private end!: () => void;

  private constructor(
    private readonly store: KvStore<T>,
    readonly key: string,
    private readonly value: T,
    private readonly ttl: number,
    revision: number,
  ) {
    this.token = revision;
    this.revision = revision;
    this.lost = new Promise((resolve) => (this.end = resolve));
    this.schedule();
  }

  /** Takes the key once it is absent, waiting for the holder before to release it or lose it. */
  static async take<T>(
    store: KvStore<T>,
    key: string,
    value: T,
    options: HoldOptions,
  ): Promise<HeldKey<T>> {
    const { signal } = options;
    for (;;) {
      signal?.throwIfAborted();
      let revision: number | undefined;
      try {
        revision = await store.putIfAbsent(key, value, { ttl: options.ttl });
        if (revision === undefined) {
          const holder = await store.get(key);
          if (holder) await gone(store, key, holder.revision + 1, signal);
          continue;
        }
      } catch (err) {
        // a wait given up (or cut short by the stop) fails for that reason, not the call's
        signal?.throwIfAborted();
        throw err;
      }
      if (signal?.aborted) {
        // given up while the write was on its way: hand the key straight back
        await store.compareAndDelete(key, revision).catch(() => undefined);
        signal.throwIfAborted();
      }
      return new HeldKey(store, key, value, options.ttl, revision);
    }
  }

  /** True until released or lost. */
  get held(): boolean {
    return !this.ended;
  }

  /** Gives the key up; resolves once it is deleted (or was already taken over). */
  async release(): Promise<void> {
    if (this.ended) return;
    this.finish();
    await this.inflight;
    await this.store.compareAndDelete(this.key, this.revision);
  }

  private schedule(): void {
    this.timer = setTimeout(
      () => {
        this.inflight = this.refresh();
      },
      Math.max(1, Math.floor(this.ttl / 3)),
    );
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    try {
      const revision = await this.store.compareAndSwap(this.key, this.revision, this.value, {
        ttl: this.ttl,
      });
      if (revision !== undefined) this.revision = revision;
      if (this.ended) return;
      if (revision === undefined) return this.finish();
      this.refreshed = Date.now();
    } catch {
      if (this.ended) return;
      if (Date.now() - this.refreshed >= this.ttl) return this.finish();
    }
    this.schedule();
  }

  private finish(): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.end();
  }
}

/** Resolves when `key` is deleted at or after revision `from`. */
async function gone<T>(
  store: KvStore<T>,
  key: string,
  from: number,
  signal?: AbortSignal,
): Promise<void> {
  let done!: () => void;
  const deleted = new Promise<void>((resolve) => (done = resolve));
  const watch = await store.watch(
    key,
    (event) => {
      if (
        event.type === 'resync'
          ? !event.snapshot.some((e) => e.key === key)
          : event.type === 'delete' && event.key === key
      )
        done();
    },
    { fromRevision: from },
  );
  const abort = () => done();
  signal?.addEventListener('abort', abort, { once: true });
  if (signal?.aborted) done();
  try {
    await deleted;
  } finally {
    signal?.removeEventListener('abort', abort);
    await watch.close();
  }
}
