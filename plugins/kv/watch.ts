import type { Backend, BackendWatch, RawEntry, RawEvent, WatchSink } from './backend.js';

/** What a resumable watch hands on, one at a time: a change, or a snapshot after history was lost. */
export type WatchItem =
  { kind: 'change'; event: RawEvent } | { kind: 'resync'; entries: RawEntry[]; revision: number };

/** What it has received and not yet handed on: a batch of changes, or a snapshot. */
type Received =
  | { kind: 'events'; events: RawEvent[]; revision: number }
  | { kind: 'resync'; entries: RawEntry[]; revision: number };

/** What a resumable watch tells the plugin: counts, lag, connection changes, listener failures. */
export interface WatchHooks {
  received(events: number): void;
  resynced(): void;
  reconnected(): void;
  /** Revisions received but not yet delivered by this watch. */
  lag(watch: object, revisions: number): void;
  disconnected(error: Error): void;
  failed(error: unknown): void;
}

const MAX_BACKOFF_MS = 2_000;

/**
 * A watch that survives the backend: it remembers the last revision received,
 * watches again from the next one after a lost connection, and when that history
 * is gone lists the prefix and hands on a snapshot instead. Items are delivered
 * one at a time, in revision order, each revision once.
 */
export class ResumableWatch {
  private received: number;
  private delivered: number;
  private resyncNeeded: boolean;
  private term?: string | undefined;
  private readonly queue: Received[] = [];
  private draining = false;
  private idle: Promise<void> = Promise.resolve();
  private sub?: BackendWatch | undefined;
  private generation = 0;
  private attempts = 0;
  private timer?: NodeJS.Timeout;
  private closed = false;

  /** `from` undefined: start with a snapshot (sync); else replay from that revision. */
  constructor(
    private readonly backend: Backend,
    private readonly prefix: string,
    from: number | undefined,
    private readonly deliver: (item: WatchItem) => void | Promise<void>,
    private readonly hooks: WatchHooks,
  ) {
    this.resyncNeeded = from === undefined;
    this.received = (from ?? 1) - 1;
    this.delivered = this.received;
  }

  /** The revision of the last item delivered. */
  get revision(): number {
    return this.delivered;
  }

  /** Resolves once the backend watch runs; rejects when the first attempt fails. */
  start(): Promise<void> {
    return this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    clearTimeout(this.timer);
    this.queue.length = 0;
    const sub = this.sub;
    this.sub = undefined;
    await sub?.close().catch(() => undefined);
    await this.idle;
  }

  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.closed;
    if (this.resyncNeeded) {
      const { entries, revision, term } = await this.backend.range(this.prefix);
      if (!current()) return;
      this.resyncNeeded = false;
      this.received = revision;
      this.term = term;
      this.push({ kind: 'resync', entries, revision });
    }
    const sink: WatchSink = {
      events: (batch) => {
        if (!current()) return;
        const fresh = batch.filter((e) => e.revision > this.received);
        const last = fresh.at(-1);
        if (!last) return;
        this.received = last.revision;
        this.push({ kind: 'events', events: fresh, revision: last.revision });
      },
      compacted: () => {
        if (!current()) return;
        this.resyncNeeded = true;
        this.hooks.resynced();
        this.restart(0);
      },
      broken: (error) => {
        if (!current()) return;
        this.hooks.disconnected(error);
        this.restart(this.backoff());
      },
    };
    const sub = await this.backend.watch(this.prefix, this.received + 1, sink, this.term);
    if (!current()) {
      await sub.close().catch(() => undefined);
      return;
    }
    this.sub = sub;
    this.term = sub.term;
  }

  /** Drops the current backend watch and connects again after `delayMs`. */
  private restart(delayMs: number): void {
    this.generation++;
    const sub = this.sub;
    this.sub = undefined;
    void sub?.close().catch(() => undefined);
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.retry(), delayMs);
    this.timer.unref();
  }

  private retry(): void {
    const attempt = this.generation + 1;
    this.connect().then(
      () => {
        if (this.generation !== attempt || this.closed) return;
        if (this.attempts > 0) this.hooks.reconnected();
        this.attempts = 0;
      },
      (error: unknown) => {
        if (this.generation !== attempt || this.closed) return;
        this.hooks.disconnected(error instanceof Error ? error : new Error(String(error)));
        this.restart(this.backoff());
      },
    );
  }

  private backoff(): number {
    this.attempts++;
    return Math.min(MAX_BACKOFF_MS, 25 * 2 ** this.attempts);
  }

  private push(item: Received): void {
    if (item.kind === 'events') this.hooks.received(item.events.length);
    this.queue.push(item);
    this.hooks.lag(this, this.received - this.delivered);
    if (this.draining) return;
    this.draining = true;
    this.idle = Promise.resolve().then(() => this.drain());
  }

  private async drain(): Promise<void> {
    for (let item = this.queue.shift(); item && !this.closed; item = this.queue.shift()) {
      if (item.kind === 'resync') await this.hand(item.revision, item);
      // each change on its own, so that a listener that throws on one still gets the rest
      else
        for (const event of item.events) {
          await this.hand(event.revision, { kind: 'change', event });
          if (this.closed) break;
        }
    }
    this.draining = false;
  }

  private async hand(revision: number, item: WatchItem): Promise<void> {
    // counted as delivered when handed to the listener, so that a listener (or the code it
    // wakes) reading `revision` sees the revision of the event it was given
    this.delivered = revision;
    this.hooks.lag(this, this.received - this.delivered);
    try {
      await this.deliver(item);
    } catch (error) {
      this.hooks.failed(error);
    }
  }
}
