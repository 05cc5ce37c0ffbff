import { HeldKey } from './held.js';
import type { KvStore, Watch } from './types.js';

/** Options of `campaign`. */
export interface CampaignOptions {
  /** Ms leadership outlives a leader that stops refreshing it; default 15 000. */
  ttl?: number;
  signal?: AbortSignal;
}

/** What election listeners hear. */
export interface ElectionEvents {
  /** The leader changed: its id, or undefined while there is none. */
  change: (leader: string | undefined) => void;
  /** This candidate was leader and is no more (resigned, or its lease ran out). */
  lost: () => void;
}

/** Where elections live in the key space. */
export const ELECTIONS = '/_elections/';

/**
 * One leader among candidates: the leader is whoever holds the election's key
 * (written when absent, kept under a TTL); the others wait for it to go.
 */
export class Election {
  private held?: HeldKey<unknown> | undefined;
  private readonly listeners = {
    change: new Set<ElectionEvents['change']>(),
    lost: new Set<ElectionEvents['lost']>(),
  };
  private watching?: Promise<Watch>;
  private current: string | undefined;

  /** `until` gives the signal a campaign waits under: the caller's, and the store's stop. */
  constructor(
    private readonly store: KvStore,
    readonly name: string,
    private readonly until: (signal?: AbortSignal) => AbortSignal | undefined = (s) => s,
  ) {}

  /** Resolves once `id` is the leader. */
  async campaign(id: string, options: CampaignOptions = {}): Promise<void> {
    const signal = this.until(options.signal);
    const held = await HeldKey.take<unknown>(
      this.store,
      ELECTIONS + this.name,
      { id },
      { ttl: options.ttl ?? 15_000, ...(signal ? { signal } : {}) },
    );
    this.held = held;
    void held.lost.then(() => {
      if (this.held === held) this.held = undefined;
      for (const listener of this.listeners.lost) listener();
    });
  }

  /** True while this process leads. */
  get leading(): boolean {
    return this.held?.held ?? false;
  }

  /** The id of the current leader, or undefined. */
  async leader(): Promise<string | undefined> {
    const entry = await this.store.get(ELECTIONS + this.name);
    return (entry?.value as { id?: string } | undefined)?.id;
  }

  /** Steps down, if leading. */
  async resign(): Promise<void> {
    await this.held?.release();
  }

  /** Listens; returns a function that stops listening. `change` fires for every new leader. */
  on<E extends keyof ElectionEvents>(event: E, listener: ElectionEvents[E]): () => void {
    const set = this.listeners[event] as Set<ElectionEvents[E]>;
    set.add(listener);
    if (event === 'change') this.watching ??= this.follow();
    return () => set.delete(listener);
  }

  /** Resigns and stops following the leader. */
  async close(): Promise<void> {
    await this.resign().catch(() => undefined);
    const watch = await this.watching?.catch(() => undefined);
    await watch?.close();
  }

  private follow(): Promise<Watch> {
    const key = ELECTIONS + this.name;
    const idOf = (value: unknown) => (value as { id?: string } | undefined)?.id;
    const announce = (leader: string | undefined) => {
      if (leader === this.current) return;
      this.current = leader;
      for (const listener of this.listeners.change) listener(leader);
    };
    return this.store.sync(key, {
      onResync: (snapshot) => announce(idOf(snapshot.find((e) => e.key === key)?.value)),
      onChange: (event) => {
        if (event.key === key) announce(event.type === 'put' ? idOf(event.value) : undefined);
      },
    });
  }
}
