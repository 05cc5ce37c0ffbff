import { randomUUID } from 'node:crypto';
import { type InitContext, KvError, type Plugin } from '../../src/index.js';
import type { Metrics } from '../prometheus/index.js';
import type { StatusReporter } from '../status-check/index.js';
import type { Backend } from './backend.js';
import { backendKind, openBackend } from './backends/open.js';
import { KvConfig } from './config.js';
import { Election } from './election.js';
import { jsonCodec } from './limits.js';
import { lock, type Lock, type LockOptions } from './lock.js';
import { Store, type StoreContext } from './store.js';
import { storeHooks } from './telemetry.js';
import type {
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

export { KvConfig } from './config.js';
export { Election, type CampaignOptions, type ElectionEvents } from './election.js';
export { jsonCodec, MAX_KEY_BYTES } from './limits.js';
export type { Lock, LockOptions } from './lock.js';
export {
  RegistryConfig,
  ServiceRegistryPlugin,
  type ServiceInstance,
  type ServiceRegistry,
} from './registry.js';
export type * from './types.js';

/** Locks and elections on top of a store. */
export interface Coordination {
  /** Waits for and takes a lock; it is released on `release()`, on stop, or when its holder dies. */
  lock(name: string, options?: LockOptions): Promise<Lock>;
  /** An election among the processes that campaign under `name`. */
  election(name: string): Election;
}

/** What dependents of the KV plugin use: the store plus locks and elections. */
export interface KvService<T = unknown> extends KvStore<T>, Coordination {}

/** Options given in code. */
export interface KvPluginOptions {
  /** How values are turned into text; JSON by default. */
  codec?: Codec;
}

/**
 * A KV store with revisions, TTLs, transactions, a watch that never loses or
 * repeats a change (it resumes after reconnects and resyncs when history is gone),
 * sync, locks and elections, on the memory (default), etcd or redis backend.
 */
export class KvPlugin implements Plugin, KvService {
  static readonly configClass = KvConfig;
  deps: { status?: StatusReporter; metrics?: Metrics } = {};
  private context?: StoreContext;
  private root?: Store;
  private readonly locks = new Set<Lock>();
  private readonly elections = new Set<Election>();
  private readonly owner = randomUUID();
  /** Aborted when the plugin stops: locks and campaigns still waiting give up. */
  private stopping = new AbortController();

  constructor(private readonly options: KvPluginOptions = {}) {}

  async init(ctx: InitContext): Promise<void> {
    const cfg = ctx.config(KvConfig);
    this.stopping = new AbortController();
    const kind = backendKind(ctx.name, cfg);
    const backend: Backend = await openBackend(ctx.name, cfg, ctx.signal, ctx.log);
    const { status, metrics } = this.deps;
    this.context = {
      plugin: ctx.name,
      backend,
      codec: this.options.codec ?? jsonCodec,
      maxValueBytes: cfg.maxValueBytes,
      hooks: storeHooks({
        plugin: ctx.name,
        log: ctx.log,
        ...(status ? { status } : {}),
        ...(metrics ? { registry: metrics.registry } : {}),
      }),
      watches: new Set(),
      closed: false,
    };
    this.root = new Store(this.context);
    status?.register(ctx.name, () => backend.ping(), {
      interval: cfg.healthInterval,
      timeout: cfg.requestTimeout,
    });
    if (kind === 'memory')
      ctx.log.info(
        `kv store in memory${cfg.file ? `, kept in ${cfg.file}` : ''}; set url to etcd://… or redis://… to share it between processes`,
      );
    else ctx.log.info(`kv store on ${kind} at ${backend.where}`);
  }

  /** Releases this process's locks and elections, stops every watch, disconnects. */
  async close(): Promise<void> {
    const context = this.context;
    if (!context) return;
    this.stopping.abort(
      new KvError(
        context.plugin,
        'closed',
        'the store stopped while waiting for a lock or an election',
        'Wait for locks and elections only between start and stop of the agent',
      ),
    );
    await Promise.allSettled([
      ...[...this.locks].map((l) => l.release()),
      ...[...this.elections].map((e) => e.close()),
    ]);
    context.closed = true;
    await Promise.allSettled([...context.watches].map((w) => w.close()));
    context.watches.clear();
    await context.backend.close();
  }

  async lock(name: string, options?: LockOptions): Promise<Lock> {
    const held = await lock(this.store, name, this.owner, {
      ...options,
      signal: this.until(options?.signal),
    });
    this.locks.add(held);
    void held.lost.then(() => this.locks.delete(held));
    return held;
  }

  election(name: string): Election {
    const election = new Election(this.store, name, (signal) => this.until(signal));
    this.elections.add(election);
    return election;
  }

  get(key: string): Promise<Versioned<unknown> | undefined> {
    return this.store.get(key);
  }
  put(key: string, value: unknown, options?: PutOptions): Promise<number> {
    return this.store.put(key, value, options);
  }
  delete(key: string, options?: DeleteOptions): Promise<number> {
    return this.store.delete(key, options);
  }
  list(prefix: string): AsyncIterable<KvEntry<unknown>> {
    return this.store.list(prefix);
  }
  keys(prefix: string): AsyncIterable<string> {
    return this.store.keys(prefix);
  }
  putIfAbsent(key: string, value: unknown, options?: PutOptions): Promise<number | undefined> {
    return this.store.putIfAbsent(key, value, options);
  }
  compareAndSwap(
    key: string,
    expectedRevision: number,
    value: unknown,
    options?: PutOptions,
  ): Promise<number | undefined> {
    return this.store.compareAndSwap(key, expectedRevision, value, options);
  }
  compareAndDelete(key: string, expectedRevision: number): Promise<boolean> {
    return this.store.compareAndDelete(key, expectedRevision);
  }
  transaction(txn: Txn<unknown>): Promise<TxnResult> {
    return this.store.transaction(txn);
  }
  revision(): Promise<number> {
    return this.store.revision();
  }
  withPrefix(prefix: string): KvStore {
    return this.store.withPrefix(prefix);
  }
  watch(prefix: string, listener: WatchListener<unknown>, options?: WatchOptions): Promise<Watch> {
    return this.store.watch(prefix, listener, options);
  }
  sync(prefix: string, handlers: SyncHandlers<unknown>): Promise<Watch> {
    return this.store.sync(prefix, handlers);
  }
  compact(revision: number): Promise<void> {
    return this.store.compact(revision);
  }

  /** Aborts when `signal` does or when the plugin stops. */
  private until(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.stopping.signal]) : this.stopping.signal;
  }

  private get store(): Store {
    if (!this.root)
      throw new KvError(
        'kv',
        'closed',
        'the store is not started',
        'Use it from afterInit on, or from a plugin that lists it in its deps',
      );
    return this.root;
  }
}
