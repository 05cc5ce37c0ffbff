import { KvError, messageOf } from '../../src/index.js';
import type { Backend, RawCompare, RawEntry, RawEvent, RawOp } from './backend.js';
import { checkKey, checkPrefix, checkRevision, checkTtl, encodeValue } from './limits.js';
import type {
  ChangeEvent,
  Codec,
  DeleteOptions,
  KvEntry,
  KvStore,
  PutOptions,
  SyncHandlers,
  Txn,
  TxnResult,
  Versioned,
  Watch,
  WatchListener,
  WatchOptions,
} from './types.js';
import { ResumableWatch, type WatchHooks, type WatchItem } from './watch.js';

/** What every view of one store shares: the backend, the codec, limits, telemetry, open watches. */
export interface StoreContext {
  readonly plugin: string;
  readonly backend: Backend;
  readonly codec: Codec;
  readonly maxValueBytes: number;
  readonly hooks: StoreHooks;
  readonly watches: Set<ResumableWatch>;
  /** Set once the plugin stops: every call is refused. */
  closed: boolean;
}

/** Telemetry of calls, on top of the watch telemetry. */
export interface StoreHooks extends WatchHooks {
  /** A call reached the backend: `error` when it failed there. */
  called(op: string, error?: unknown): void;
}

/**
 * The KV store API on top of a backend: validates keys, encodes values (nothing
 * is sent before every key and value of a call is checked), adds and strips the
 * view's prefix, and runs watches that resume and resync.
 */
export class Store<T = unknown> implements KvStore<T> {
  constructor(
    private readonly ctx: StoreContext,
    private readonly prefix = '',
  ) {}

  async get(key: string): Promise<Versioned<T> | undefined> {
    const full = this.key(key);
    const raw = await this.call('get', () => this.ctx.backend.get(full));
    return raw && { value: this.decode(raw.key, raw.value), revision: raw.revision };
  }

  async put(key: string, value: T, options: PutOptions = {}): Promise<number> {
    const op = this.putOp(key, value, options.ttl);
    return (await this.commit('put', [], [op])).revision;
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<number> {
    const op = this.deleteOp(key, options.prefix);
    return (await this.commit('delete', [], [op])).deleted;
  }

  async *list(prefix: string): AsyncIterable<KvEntry<T>> {
    const { entries } = await this.range(prefix);
    for (const entry of entries) yield entry;
  }

  async *keys(prefix: string): AsyncIterable<string> {
    for await (const entry of this.list(prefix)) yield entry.key;
  }

  async putIfAbsent(key: string, value: T, options: PutOptions = {}): Promise<number | undefined> {
    return this.compareAndSwap(key, 0, value, options);
  }

  async compareAndSwap(
    key: string,
    expectedRevision: number,
    value: T,
    options: PutOptions = {},
  ): Promise<number | undefined> {
    const compare = this.compare(key, expectedRevision);
    const result = await this.commit(
      'compareAndSwap',
      [compare],
      [this.putOp(key, value, options.ttl)],
    );
    return result.ok ? result.revision : undefined;
  }

  async compareAndDelete(key: string, expectedRevision: number): Promise<boolean> {
    const compare = this.compare(key, expectedRevision);
    const result = await this.commit('compareAndDelete', [compare], [this.deleteOp(key)]);
    return result.ok && result.deleted > 0;
  }

  async transaction(txn: Txn<T>): Promise<TxnResult> {
    const compares = (txn.if ?? []).map((c) => this.compare(c.key, c.revision));
    const ops = txn.then.map((op) =>
      'put' in op ? this.putOp(op.put, op.value, op.ttl) : this.deleteOp(op.delete, op.prefix),
    );
    if (ops.length === 0)
      throw new KvError(
        this.ctx.plugin,
        'invalid-option',
        'the transaction has no writes',
        'Give it at least one put or delete in `then`',
      );
    const { ok, revision } = await this.commit('transaction', compares, ops);
    return { ok, revision };
  }

  async revision(): Promise<number> {
    return this.call('revision', () => this.ctx.backend.revision());
  }

  withPrefix(prefix: string): KvStore<T> {
    return new Store<T>(this.ctx, this.prefix + checkKey(this.ctx.plugin, prefix, 'prefix'));
  }

  async watch(
    prefix: string,
    listener: WatchListener<T>,
    options: WatchOptions = {},
  ): Promise<Watch> {
    const full = this.fullPrefix(prefix);
    const from =
      options.fromRevision === undefined
        ? (await this.revision()) + 1
        : Math.max(1, checkRevision(this.ctx.plugin, options.fromRevision, 'fromRevision'));
    return this.startWatch(full, from, (item) =>
      listener(
        item.kind === 'resync'
          ? { type: 'resync', snapshot: this.entries(item.entries), revision: item.revision }
          : this.event(item.event),
      ),
    );
  }

  async sync(prefix: string, handlers: SyncHandlers<T>): Promise<Watch> {
    const full = this.fullPrefix(prefix);
    let first: (() => void) | undefined;
    const synced = new Promise<void>((resolve) => (first = resolve));
    const watch = await this.startWatch(full, undefined, async (item) => {
      try {
        if (item.kind === 'resync')
          await handlers.onResync(this.entries(item.entries), item.revision);
        else await handlers.onChange(this.event(item.event));
      } finally {
        first?.();
        first = undefined;
      }
    });
    await synced;
    return watch;
  }

  async compact(revision: number): Promise<void> {
    checkRevision(this.ctx.plugin, revision, 'revision');
    return this.call('compact', () => this.ctx.backend.compact(revision));
  }

  /** A snapshot of the prefix, decoded, with the revision it was taken at. */
  async range(prefix: string): Promise<{ entries: KvEntry<T>[]; revision: number }> {
    const full = this.fullPrefix(prefix);
    const { entries, revision } = await this.call('list', () => this.ctx.backend.range(full));
    return { entries: this.entries(entries), revision };
  }

  private async startWatch(
    full: string,
    from: number | undefined,
    deliver: (item: WatchItem) => void | Promise<void>,
  ): Promise<Watch> {
    this.open();
    const engine = new ResumableWatch(this.ctx.backend, full, from, deliver, this.ctx.hooks);
    this.ctx.watches.add(engine);
    try {
      await engine.start();
    } catch (err) {
      this.ctx.watches.delete(engine);
      await engine.close();
      throw this.unavailable('watch', err);
    }
    return {
      get revision() {
        return engine.revision;
      },
      close: async () => {
        this.ctx.watches.delete(engine);
        await engine.close();
      },
    };
  }

  private commit(op: string, compares: RawCompare[], ops: RawOp[]) {
    return this.call(op, () => this.ctx.backend.commit(compares, ops));
  }

  /** Runs one backend call and counts it (callers are async: a refusal here is a rejection). */
  private call<R>(op: string, fn: () => Promise<R>): Promise<R> {
    this.open();
    return fn().then(
      (result) => {
        this.ctx.hooks.called(op);
        return result;
      },
      (err: unknown) => {
        this.ctx.hooks.called(op, err);
        throw this.unavailable(op, err);
      },
    );
  }

  private open(): void {
    if (this.ctx.closed)
      throw new KvError(
        this.ctx.plugin,
        'closed',
        'the store is closed',
        'Use the store only between start and stop of the agent',
      );
  }

  private unavailable(op: string, err: unknown): KvError {
    const message = messageOf(err);
    return new KvError(
      this.ctx.plugin,
      'unavailable',
      `${op} failed on ${this.ctx.backend.kind} at ${this.ctx.backend.where}: ${message}`,
      'Check that the server runs and answers; the store reconnects by itself',
      err,
    );
  }

  private key(key: string): string {
    return this.prefix + checkKey(this.ctx.plugin, key);
  }

  private fullPrefix(prefix: string): string {
    return this.prefix + checkPrefix(this.ctx.plugin, prefix);
  }

  private compare(key: string, revision: number): RawCompare {
    return {
      key: this.key(key),
      revision: checkRevision(this.ctx.plugin, revision, 'expectedRevision'),
    };
  }

  private putOp(key: string, value: T, ttl: number | undefined): RawOp {
    const full = this.key(key);
    const checkedTtl = checkTtl(this.ctx.plugin, ttl);
    const encoded = encodeValue(
      this.ctx.plugin,
      this.ctx.codec as Codec<T>,
      key,
      value,
      this.ctx.maxValueBytes,
    );
    return {
      type: 'put',
      key: full,
      value: encoded,
      ...(checkedTtl === undefined ? {} : { ttl: checkedTtl }),
    };
  }

  private deleteOp(key: string, prefix?: boolean): RawOp {
    const full = prefix ? this.fullPrefix(key) : this.key(key);
    return { type: 'delete', key: full, ...(prefix ? { prefix: true } : {}) };
  }

  private decode(key: string, text: string): T {
    try {
      return this.ctx.codec.decode(text) as T;
    } catch (err) {
      throw new KvError(
        this.ctx.plugin,
        'codec',
        `the codec could not decode the value of "${key}": ${messageOf(err)}`,
        'Read with the codec the value was written with',
        err,
      );
    }
  }

  private entries(raw: RawEntry[]): KvEntry<T>[] {
    return raw.map((e) => ({
      key: this.strip(e.key),
      value: this.decode(e.key, e.value),
      revision: e.revision,
    }));
  }

  private event(e: RawEvent): ChangeEvent<T> {
    return {
      type: e.type,
      key: this.strip(e.key),
      value: e.value === undefined ? undefined : this.decode(e.key, e.value),
      previous: e.previous && this.decode(e.key, e.previous.value),
      revision: e.revision,
    };
  }

  private strip(key: string): string {
    return key.slice(this.prefix.length);
  }
}
