import { createHash, randomUUID } from 'node:crypto';
import type { RedisClientType } from 'redis';
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
import { Deadlines } from './deadline.js';
import { COMMIT, RANGE, REAP, WATCH_START } from './redis-scripts.js';

/** Options of the Redis backend. */
export interface RedisOptions {
  url: string;
  /** Key prefix; used as a hash tag, so every key of one store lands on one cluster slot. */
  namespace: string;
  /** Changes kept in the stream (approximately); older ones force a resync. */
  history: number;
  /** Ms between sweeps for expired keys. */
  reapInterval: number;
  /** Ms to connect, and for a call to be answered. */
  requestTimeout: number;
}

type Client = RedisClientType;
type Reply = string | number | null | Reply[];
/** One change as the scripts store it: type, key, value, previous revision ('0': none), previous value. */
type Change = [string, string, string, string, string];

const BLOCK_MS = 5_000;

/**
 * Redis with revisions: every write is one Lua script (see redis-scripts.ts),
 * so value, revision and the change record are written together or not at all.
 * A watch reads the change stream from `<revision - 1>-0` on a connection of
 * its own; a gap in the stream ids (trimmed) or a new epoch (the server lost its
 * data) is reported as compacted. TTLs are enforced by a sweep every client runs.
 */
export class RedisBackend implements Backend {
  readonly kind = 'redis';
  readonly where: string;
  private readonly keys: string[];
  private readonly shas = new Map<string, string>();
  private readonly watches = new Set<Client>();
  private readonly reaper: NodeJS.Timeout;
  private readonly deadlines: Deadlines;

  private constructor(
    private readonly client: Client,
    private readonly options: RedisOptions,
  ) {
    const url = new URL(options.url);
    this.where = `${url.hostname}:${url.port || '6379'}`;
    const ns = `{${options.namespace}}:`;
    this.keys = ['rev', 'data', 'index', 'expiry', 'changes', 'epoch'].map((k) => ns + k);
    this.reaper = setInterval(() => void this.reap().catch(() => undefined), options.reapInterval);
    this.reaper.unref();
    this.deadlines = new Deadlines(options.requestTimeout, 'requestTimeout');
  }

  /** Connects a client made by the dynamically imported package; rejects when the server does not answer. */
  static async connect(
    redis: typeof import('redis'),
    options: RedisOptions,
  ): Promise<RedisBackend> {
    const client = redis.createClient({
      url: options.url,
      disableOfflineQueue: true,
      // every call has a deadline of ours (`send`), from the call to its answer; node-redis's
      // own would arm one more timer per command (an AbortSignal.timeout) for a shorter span
      commandOptions: { timeout: 0 },
      socket: {
        connectTimeout: options.requestTimeout,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1_000),
      },
    }) as unknown as Client;
    client.on('error', () => undefined);
    const first = redis.createClient({
      url: options.url,
      socket: { connectTimeout: options.requestTimeout, reconnectStrategy: false },
    });
    first.on('error', () => undefined);
    // a first connection without retries, so a wrong address fails the start at once
    await first.connect();
    first.destroy();
    await client.connect();
    return new RedisBackend(client, options);
  }

  get(key: string): Promise<RawEntry | undefined> {
    return this.send(['HGET', this.keys[1]!, key]).then((stored) =>
      stored === null ? undefined : { key, ...parse(stored as string) },
    );
  }

  async range(prefix: string): Promise<RawRange> {
    const out = (await this.run(RANGE, [prefix, randomUUID()])) as Reply[];
    const entries: RawEntry[] = [];
    for (let i = 2; i < out.length; i += 2) {
      entries.push({ key: out[i] as string, ...parse(out[i + 1] as string) });
    }
    return { entries, revision: out[1] as number, term: out[0] as string };
  }

  commit(compares: RawCompare[], ops: RawOp[]): Promise<RawCommit> {
    const args = [String(this.options.history), String(compares.length)];
    for (const c of compares) args.push(c.key, String(c.revision));
    for (const op of ops) {
      if (op.type === 'put')
        args.push('p', op.key, op.value, op.ttl === undefined ? '' : String(op.ttl));
      else args.push(op.prefix ? 'D' : 'd', op.key, '', '');
    }
    return this.run(COMMIT, args).then((reply) => {
      const [ok, revision, deleted] = reply as number[];
      return { ok: ok === 1, revision: revision!, deleted: deleted! };
    });
  }

  async revision(): Promise<number> {
    return Number((await this.send(['GET', this.keys[0]!])) ?? 0);
  }

  async watch(prefix: string, from: number, sink: WatchSink, term?: string): Promise<BackendWatch> {
    const conn = this.client.duplicate({
      disableOfflineQueue: true,
      socket: { connectTimeout: this.options.requestTimeout, reconnectStrategy: false },
    });
    conn.on('error', () => undefined);
    await conn.connect();
    this.watches.add(conn);
    let closed = false;
    const stop = () => {
      closed = true;
      this.watches.delete(conn);
      conn.destroy();
    };
    try {
      const [epoch, head, firstId] = (await this.run(WATCH_START, [randomUUID()], conn)) as [
        string,
        number,
        string,
      ];
      const reset = (term !== undefined && epoch !== term) || head < from - 1;
      const trimmed = from <= head && (firstId === '' || parseInt(firstId, 10) > from);
      if (reset || trimmed) {
        stop();
        queueMicrotask(() => sink.compacted());
        return { term: epoch, close: async () => undefined };
      }
      void this.tail(conn, prefix, from, sink, () => closed).catch((err: unknown) => {
        if (closed) return;
        stop();
        if (err instanceof Compacted) sink.compacted();
        else sink.broken(err instanceof Error ? err : new Error(String(err)));
      });
      return { term: epoch, close: async () => stop() };
    } catch (err) {
      stop();
      throw err;
    }
  }

  async compact(revision: number): Promise<void> {
    await this.send(['XTRIM', this.keys[4]!, 'MINID', `${revision}-0`]);
  }

  async ping(): Promise<void> {
    await this.send(['PING']);
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
    this.deadlines.close();
    for (const conn of this.watches) conn.destroy();
    this.watches.clear();
    this.client.destroy();
  }

  /** Reads the stream from `from` on; stops at the first gap in the revisions. */
  private async tail(
    conn: Client,
    prefix: string,
    from: number,
    sink: WatchSink,
    closed: () => boolean,
  ): Promise<void> {
    let expected = from;
    let after = `${from - 1}-0`;
    while (!closed()) {
      const reply = await conn.sendCommand<StreamReply>([
        'XREAD',
        'COUNT',
        '1000',
        'BLOCK',
        String(BLOCK_MS),
        'STREAMS',
        this.keys[4]!,
        after,
      ]);
      if (closed() || !reply) continue;
      const batch: RawEvent[] = [];
      for (const [id, fields] of streamEntries(reply)) {
        const revision = parseInt(id, 10);
        if (revision !== expected) {
          if (batch.length > 0) sink.events(batch);
          throw new Compacted();
        }
        expected = revision + 1;
        after = id;
        for (const c of JSON.parse(fields[1]!) as Change[]) {
          if (c[1].startsWith(prefix)) batch.push(toEvent(c, revision));
        }
      }
      if (batch.length > 0) sink.events(batch);
    }
  }

  private async reap(): Promise<void> {
    await this.run(REAP, [String(this.options.history)]);
  }

  /** EVALSHA, falling back to EVAL when the server does not know the script (e.g. after a restart). */
  private run(script: string, args: string[], conn: Client = this.client): Promise<Reply> {
    let sha = this.shas.get(script);
    if (!sha) {
      sha = createHash('sha1').update(script).digest('hex');
      this.shas.set(script, sha);
    }
    const tail = [String(this.keys.length), ...this.keys, ...args];
    return this.send(['EVALSHA', sha, ...tail], conn).catch((err: unknown) => {
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return this.send(['EVAL', script, ...tail], conn);
    });
  }

  /** One command, rejected when the server does not answer within requestTimeout. */
  private send(args: string[], conn: Client = this.client): Promise<Reply> {
    return this.deadlines.limit(conn.sendCommand<Reply>(args));
  }
}

/** XREAD's answer: a list of [stream, entries] in RESP2, an object by stream name in RESP3. */
type StreamReply = [string, Entry[]][] | Record<string, Entry[]> | null;
type Entry = [string, string[]];

function streamEntries(reply: NonNullable<StreamReply>): Entry[] {
  return Array.isArray(reply) ? (reply[0]?.[1] ?? []) : (Object.values(reply)[0] ?? []);
}

/** The stream has a gap: changes were trimmed before they were read. */
class Compacted extends Error {}

function parse(stored: string): { value: string; revision: number } {
  const space = stored.indexOf(' ');
  return { revision: Number(stored.slice(0, space)), value: stored.slice(space + 1) };
}

function toEvent([type, key, value, prevRevision, prevValue]: Change, revision: number): RawEvent {
  const previous =
    prevRevision === '0' ? {} : { previous: { value: prevValue, revision: Number(prevRevision) } };
  return type === 'p'
    ? { type: 'put', key, value, revision, ...previous }
    : { type: 'delete', key, revision, ...previous };
}
