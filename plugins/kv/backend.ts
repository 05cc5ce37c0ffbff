/** A stored value as a backend holds it: encoded, with the revision of its last change. */
export interface RawEntry {
  key: string;
  value: string;
  revision: number;
}

/** One change as a backend reports it; `previous` is what the key held before. */
export interface RawEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new value of a put. */
  value?: string;
  previous?: { value: string; revision: number };
  revision: number;
}

/** A transaction condition: the key's revision must equal `revision` (0: the key is absent). */
export interface RawCompare {
  key: string;
  revision: number;
}

/** One write of a transaction. */
export type RawOp =
  | { type: 'put'; key: string; value: string; ttl?: number }
  | { type: 'delete'; key: string; prefix?: boolean };

/** What a transaction did: `ok` false when a compare failed (nothing written). */
export interface RawCommit {
  ok: boolean;
  /** The revision of the write, or the current revision when nothing changed. */
  revision: number;
  /** Keys deleted. */
  deleted: number;
}

/**
 * Where a backend watch reports. Calls come in revision order, each batch holds
 * whole revisions; after `compacted` or `broken` the watch is dead and reports nothing more.
 */
export interface WatchSink {
  events(batch: RawEvent[]): void;
  /** The history from the requested revision is gone (compacted, trimmed, server reset). */
  compacted(): void;
  /** The connection was lost; watch again from the last revision received + 1. */
  broken(error: Error): void;
}

/** A running backend watch. */
export interface BackendWatch {
  /** The history term it runs in, for backends whose history can be reset. */
  readonly term?: string;
  close(): Promise<void>;
}

/** A snapshot of a prefix. */
export interface RawRange {
  entries: RawEntry[];
  revision: number;
  /** The history term the revision belongs to, for backends whose history can be reset. */
  term?: string;
}

/**
 * The contract every backend implements: a revisioned key space with atomic
 * transactions, a snapshot list and a watch that replays history from a revision.
 * Keys and values are strings; the store above it validates and encodes.
 */
export interface Backend {
  readonly kind: 'memory' | 'etcd' | 'redis';
  /** host:port or file, for messages; never a password. */
  readonly where: string;
  get(key: string): Promise<RawEntry | undefined>;
  /** Every entry under `prefix`, sorted by key, all at one `revision`, in one history `term`. */
  range(prefix: string): Promise<RawRange>;
  /** All compares hold → every op is applied under one new revision; else nothing is. */
  commit(compares: RawCompare[], ops: RawOp[]): Promise<RawCommit>;
  revision(): Promise<number>;
  /**
   * Reports every change under `prefix` from revision `from` on; resolves once watching.
   * With `term`, a history that has been reset since (the server lost its data) is compacted.
   */
  watch(prefix: string, from: number, sink: WatchSink, term?: string): Promise<BackendWatch>;
  /** Drops the history before `revision`. */
  compact(revision: number): Promise<void>;
  /** Rejects when the server does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
