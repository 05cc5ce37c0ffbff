/** A value read from the store, with the revision of its last change. */
export interface Versioned<T> {
  value: T;
  revision: number;
}

/** One key of a listing or snapshot. */
export interface KvEntry<T> extends Versioned<T> {
  key: string;
}

/** Options of a write. */
export interface PutOptions {
  /** Ms after which the key is deleted (a delete event is delivered); none by default. */
  ttl?: number;
}

/** Options of a delete. */
export interface DeleteOptions {
  /** Delete every key that starts with the given key. */
  prefix?: boolean;
}

/** A change delivered by `watch`, in revision order. */
export interface ChangeEvent<T> {
  type: 'put' | 'delete';
  key: string;
  /** The new value of a put; undefined for a delete. */
  value: T | undefined;
  /** What the key held before the change, if anything. */
  previous: T | undefined;
  revision: number;
}

/**
 * Delivered instead of changes when the history a watch needed is gone (compacted,
 * trimmed, the server lost its data): the full current state under the prefix.
 */
export interface ResyncEvent<T> {
  type: 'resync';
  snapshot: KvEntry<T>[];
  revision: number;
}

/** What a watch listener receives. */
export type WatchEvent<T> = ChangeEvent<T> | ResyncEvent<T>;

/** Called once per event; a returned promise is awaited before the next event. */
export type WatchListener<T> = (event: WatchEvent<T>) => void | Promise<void>;

/** Options of `watch`. */
export interface WatchOptions {
  /** Deliver changes from this revision on (older history replayed); default: from now. */
  fromRevision?: number;
}

/** A running watch or sync. */
export interface Watch {
  /** The revision of the last event delivered (or of the snapshot). */
  readonly revision: number;
  /** Stops delivery; resolves once a listener call in progress has finished. */
  close(): Promise<void>;
}

/** Handlers of `sync`: a snapshot first, then every change after it. */
export interface SyncHandlers<T> {
  /** The full state under the prefix: first at start, again whenever history was lost. */
  onResync(snapshot: KvEntry<T>[], revision: number): void | Promise<void>;
  onChange(event: ChangeEvent<T>): void | Promise<void>;
}

/** A transaction condition: the key's revision equals `revision` (0: the key is absent). */
export interface Compare {
  key: string;
  revision: number;
}

/** One write of a transaction. */
export type TxnOp<T> =
  { put: string; value: T; ttl?: number } | { delete: string; prefix?: boolean };

/** A transaction: when every compare holds, every op is applied under one revision. */
export interface Txn<T> {
  if?: Compare[];
  then: TxnOp<T>[];
}

/** What a transaction did. */
export interface TxnResult {
  /** False when a compare failed; then nothing was written. */
  ok: boolean;
  revision: number;
}

/** Turns values into stored text and back. Throwing refuses the value. */
export interface Codec<T = unknown> {
  encode(value: T): string;
  decode(text: string): T;
}

/** The store: revisioned keys, atomic compares, gap-free watch and sync. */
export interface KvStore<T = unknown> {
  get(key: string): Promise<Versioned<T> | undefined>;
  /** Writes and resolves with the revision of the write. */
  put(key: string, value: T, options?: PutOptions): Promise<number>;
  /** Resolves with the number of keys deleted. */
  delete(key: string, options?: DeleteOptions): Promise<number>;
  /** Every entry under the prefix, sorted by key, as of one revision. */
  list(prefix: string): AsyncIterable<KvEntry<T>>;
  keys(prefix: string): AsyncIterable<string>;
  /** Writes only when the key is absent: the new revision, or undefined. */
  putIfAbsent(key: string, value: T, options?: PutOptions): Promise<number | undefined>;
  /** Writes only when the key is at `expectedRevision`: the new revision, or undefined. */
  compareAndSwap(
    key: string,
    expectedRevision: number,
    value: T,
    options?: PutOptions,
  ): Promise<number | undefined>;
  /** Deletes only when the key is at `expectedRevision`. */
  compareAndDelete(key: string, expectedRevision: number): Promise<boolean>;
  transaction(txn: Txn<T>): Promise<TxnResult>;
  /** The store's current revision. */
  revision(): Promise<number>;
  /** A view that adds `prefix` to every key it is given and strips it from keys it returns. */
  withPrefix(prefix: string): KvStore<T>;
  /** Changes under `prefix` in revision order, resumed after reconnects; resolves once watching. */
  watch(prefix: string, listener: WatchListener<T>, options?: WatchOptions): Promise<Watch>;
  /** A snapshot at revision R, then every change from R + 1; resolves after the first snapshot. */
  sync(prefix: string, handlers: SyncHandlers<T>): Promise<Watch>;
  /** Drops history before `revision`; watches that need it get a resync. */
  compact(revision: number): Promise<void>;
}
