import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { setTimer } from '../../../src/index.js';
import type {
  Backend,
  BackendWatch,
  RawCommit,
  RawCompare,
  RawEntry,
  RawEvent,
  RawOp,
  RawRange,
  WatchSink,
} from '../backend.js';

/** Options of the in-process backend. */
export interface MemoryOptions {
  /** Revisions of history kept for watches; older ones force a resync. */
  history: number;
  /** JSON file the data is kept in across restarts (history is not). */
  file?: string;
}

interface Stored {
  value: string;
  revision: number;
  /** Ms since the epoch when the key expires. */
  expires?: number;
}

interface Subscriber {
  prefix: string;
  sink: WatchSink;
}

interface Persisted {
  revision: number;
  entries: Array<[string, Stored]>;
}

/**
 * Keys in a Map, one revision counter, the last `history` revisions of changes
 * for watches, one timer for the next expiry; optionally saved to a JSON file
 * (written to a temporary name and renamed, so a crash leaves the old or new file).
 */
export class MemoryBackend implements Backend {
  readonly kind = 'memory';
  readonly where: string;
  private readonly data = new Map<string, Stored>();
  private readonly log: RawEvent[][] = [];
  private readonly subscribers = new Set<Subscriber>();
  private rev = 0;
  /** Revisions up to this one are no longer in the log. */
  private compacted = 0;
  private cancelExpiry: () => void = () => undefined;
  private saveTimer?: NodeJS.Timeout | undefined;

  constructor(private readonly options: MemoryOptions) {
    this.where = options.file ? `file ${options.file}` : 'memory';
    // a new file is written at once, so that a path that cannot be written fails the start
    if (options.file && !this.load(options.file)) this.save();
    this.compacted = this.rev;
    this.scheduleExpiry();
  }

  async get(key: string): Promise<RawEntry | undefined> {
    const stored = this.data.get(key);
    return stored && { key, value: stored.value, revision: stored.revision };
  }

  async range(prefix: string): Promise<RawRange> {
    const entries: RawEntry[] = [];
    for (const [key, s] of this.data) {
      if (key.startsWith(prefix)) entries.push({ key, value: s.value, revision: s.revision });
    }
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { entries, revision: this.rev };
  }

  async commit(compares: RawCompare[], ops: RawOp[]): Promise<RawCommit> {
    for (const c of compares) {
      if ((this.data.get(c.key)?.revision ?? 0) !== c.revision)
        return { ok: false, revision: this.rev, deleted: 0 };
    }
    const revision = this.rev + 1;
    const events: RawEvent[] = [];
    let deleted = 0;
    for (const op of ops) {
      if (op.type === 'put') {
        const previous = this.data.get(op.key);
        const stored: Stored = { value: op.value, revision };
        if (op.ttl !== undefined) stored.expires = Date.now() + op.ttl;
        this.data.set(op.key, stored);
        events.push({ type: 'put', key: op.key, value: op.value, revision, ...prev(previous) });
      } else {
        const keys = op.prefix
          ? [...this.data.keys()].filter((k) => k.startsWith(op.key))
          : [op.key];
        for (const key of keys) {
          const previous = this.data.get(key);
          if (!previous || !this.data.delete(key)) continue;
          deleted++;
          events.push({ type: 'delete', key, revision, ...prev(previous) });
        }
      }
    }
    if (events.length > 0) this.record(events);
    if (ops.some((op) => op.type === 'put' && op.ttl !== undefined)) this.scheduleExpiry();
    return { ok: true, revision: this.rev, deleted };
  }

  async revision(): Promise<number> {
    return this.rev;
  }

  async watch(prefix: string, from: number, sink: WatchSink): Promise<BackendWatch> {
    const subscriber: Subscriber = { prefix, sink };
    if (from <= this.compacted && from <= this.rev) {
      queueMicrotask(() => sink.compacted());
      return { close: async () => undefined };
    }
    const first = this.rev - this.log.length + 1;
    for (const events of this.log.slice(Math.max(0, from - first))) this.send(subscriber, events);
    this.subscribers.add(subscriber);
    return { close: async () => void this.subscribers.delete(subscriber) };
  }

  async compact(revision: number): Promise<void> {
    const drop = Math.min(revision - 1, this.rev) - this.compacted;
    if (drop <= 0) return;
    this.log.splice(0, drop);
    this.compacted += drop;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.cancelExpiry();
    this.subscribers.clear();
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.save();
    }
  }

  private record(events: RawEvent[]): void {
    this.rev++;
    this.log.push(events);
    if (this.log.length > this.options.history) {
      this.log.shift();
      this.compacted++;
    }
    for (const subscriber of this.subscribers) this.send(subscriber, events);
    if (this.options.file && !this.saveTimer) {
      this.saveTimer = setTimeout(() => this.save(), 20);
      this.saveTimer.unref();
    }
  }

  private send(subscriber: Subscriber, events: RawEvent[]): void {
    const mine = events.filter((e) => e.key.startsWith(subscriber.prefix));
    if (mine.length > 0) subscriber.sink.events(mine);
  }

  private scheduleExpiry(): void {
    this.cancelExpiry();
    let next = Infinity;
    for (const s of this.data.values())
      if (s.expires !== undefined) next = Math.min(next, s.expires);
    if (next === Infinity) return;
    // setTimer waits longer than a timer can (2^31 ms): a month's TTL fired at once, again and again
    this.cancelExpiry = setTimer(Math.max(0, next - Date.now()), () => this.expire(), true);
  }

  private expire(): void {
    const now = Date.now();
    const expired = [...this.data].filter(([, s]) => s.expires !== undefined && s.expires <= now);
    const ops: RawOp[] = expired.map(([key]) => ({ type: 'delete', key }));
    void this.commit([], ops).then(() => this.scheduleExpiry());
  }

  /** Reads the file; false when there is none yet. */
  private load(file: string): boolean {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    const saved = JSON.parse(text) as Persisted;
    this.rev = saved.revision;
    for (const [key, stored] of saved.entries) this.data.set(key, stored);
    return true;
  }

  private save(): void {
    this.saveTimer = undefined;
    const file = this.options.file!;
    const body: Persisted = { revision: this.rev, entries: [...this.data] };
    writeFileSync(`${file}.tmp`, JSON.stringify(body));
    renameSync(`${file}.tmp`, file);
  }
}

function prev(stored: Stored | undefined): Pick<RawEvent, 'previous'> {
  return stored ? { previous: { value: stored.value, revision: stored.revision } } : {};
}
