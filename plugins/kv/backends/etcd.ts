import type { Etcd3, IKeyValue, IRequestOp, IWatchResponse } from 'etcd3';
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

/** Options of the etcd backend. */
export interface EtcdOptions {
  /** `http://host:port` of each member. */
  hosts: string[];
  /** Prepended to every key in etcd, followed by `:`; without `:` of its own. */
  namespace: string;
  /** Ms a unary call may take. */
  requestTimeout: number;
}

const PAGE = 1_000;

/** Passes calls straight through: no retries and no circuit breaker (see the class comment). */
const direct = {
  execute: <T>(fn: (context: unknown) => T) => new Promise<T>((resolve) => resolve(fn({}))),
};

/**
 * etcd through the `etcd3` package's generated gRPC clients. The package's own
 * watchers and retry policies are not used: its watchers have gone silent after
 * reconnects (etcd3 issues #31, #72, #78) and its retries would run a
 * compare-and-swap twice. Each watch here is one gRPC stream started at an
 * explicit revision; when it breaks, the store above watches again from the
 * last revision received + 1, and a compacted start revision is reported as such.
 * Unary calls get their time limit from one shared timer (see deadline.ts), not
 * from a gRPC deadline, which arms a timer and sends a header for every call.
 */
export class EtcdBackend implements Backend {
  readonly kind = 'etcd';
  readonly where: string;
  private readonly ns: string;
  private readonly deadlines: Deadlines;

  constructor(
    private readonly client: Etcd3,
    options: EtcdOptions,
  ) {
    this.where = options.hosts.map((h) => h.replace(/^\w+:\/\//, '')).join(',');
    // the separator keeps namespace `a` from reading `a-b`'s keys (`a-b:/k` is not under `a:`)
    this.ns = `${options.namespace}:`;
    this.deadlines = new Deadlines(options.requestTimeout, 'requestTimeout');
  }

  /** Builds the client from the dynamically imported package. */
  static create(etcd3: typeof import('etcd3'), options: EtcdOptions): EtcdBackend {
    const client = new etcd3.Etcd3({
      hosts: options.hosts,
      dialTimeout: options.requestTimeout,
      grpcOptions: {
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
        'grpc.keepalive_permit_without_calls': 1,
        'grpc.max_receive_message_length': 64 * 1024 * 1024,
      },
      faultHandling: { host: () => direct, global: direct },
    } as unknown as import('etcd3').IOptions);
    return new EtcdBackend(client, options);
  }

  async get(key: string): Promise<RawEntry | undefined> {
    const res = await this.deadlines.limit(this.client.kv.range({ key: this.raw(key) }));
    const kv = res.kvs[0];
    return kv && this.entry(kv);
  }

  async range(prefix: string): Promise<RawRange> {
    const start = this.raw(prefix);
    const end = rangeEnd(start);
    const entries: RawEntry[] = [];
    let revision: number | undefined;
    for (let key = start; ;) {
      const res = await this.deadlines.limit(
        this.client.kv.range({
          key,
          range_end: end,
          limit: PAGE,
          ...(revision === undefined ? {} : { revision }),
        }),
      );
      revision ??= Number(res.header.revision);
      for (const kv of res.kvs) entries.push(this.entry(kv));
      const last = res.kvs.at(-1);
      if (!res.more || !last) break;
      key = Buffer.concat([last.key, Buffer.from([0])]);
    }
    return { entries, revision };
  }

  async commit(compares: RawCompare[], ops: RawOp[]): Promise<RawCommit> {
    const leases = new Map<number, string>();
    for (const op of ops) {
      if (op.type === 'put' && op.ttl !== undefined && !leases.has(op.ttl)) {
        const lease = await this.deadlines.limit(
          this.client.leaseClient.leaseGrant({ TTL: Math.ceil(op.ttl / 1000) }),
        );
        leases.set(op.ttl, lease.ID);
      }
    }
    const requests = ops.map((op) => this.request(op, leases));
    const only = requests.length === 1 && compares.length === 0 ? requests[0] : undefined;
    // one write without compares is a plain Put or DeleteRange: the same outcome as a
    // one-write Txn, and etcd serves it faster
    if (only?.request_put) {
      const res = await this.deadlines.limit(this.client.kv.put(only.request_put));
      return { ok: true, revision: Number(res.header.revision), deleted: 0 };
    }
    if (only?.request_delete_range) {
      const res = await this.deadlines.limit(this.client.kv.deleteRange(only.request_delete_range));
      return { ok: true, revision: Number(res.header.revision), deleted: Number(res.deleted) };
    }
    const res = await this.deadlines.limit(
      this.client.kv.txn({
        compare: compares.map((c) => ({
          key: this.raw(c.key),
          target: 'Mod',
          result: 'Equal',
          mod_revision: c.revision,
        })),
        success: requests,
        failure: [],
      }),
    );
    let deleted = 0;
    for (const r of res.responses) deleted += Number(r.response_delete_range?.deleted ?? 0);
    return { ok: res.succeeded, revision: Number(res.header.revision), deleted };
  }

  async revision(): Promise<number> {
    const res = await this.deadlines.limit(
      this.client.kv.range({ key: this.raw(''), count_only: true }),
    );
    return Number(res.header.revision);
  }

  async watch(prefix: string, from: number, sink: WatchSink): Promise<BackendWatch> {
    const stream = await this.client.watchClient.watch();
    const start = this.raw(prefix);
    let done = false;
    const handle: BackendWatch = {
      close: async () => {
        if (done) return;
        done = true;
        stream.cancel();
      },
    };
    return new Promise<BackendWatch>((resolve, reject) => {
      let created = false;
      const end = (error: Error) => {
        if (done) return;
        done = true;
        stream.cancel();
        if (created) sink.broken(error);
        else reject(error);
      };
      stream.on('data', (res: IWatchResponse) => {
        if (done) return;
        if (res.canceled) {
          if (Number(res.compact_revision) > 0) {
            done = true;
            stream.cancel();
            resolve(handle);
            queueMicrotask(() => sink.compacted());
          } else
            end(new Error(`etcd cancelled the watch: ${res.cancel_reason || 'no reason given'}`));
          return;
        }
        if (res.created && !created) {
          created = true;
          resolve(handle);
        }
        if (res.events.length > 0) sink.events(res.events.map((e) => this.event(e)));
      });
      stream.on('error', (err: Error) => end(err));
      stream.on('end', () => end(new Error('the etcd watch stream ended')));
      stream.write({
        create_request: {
          key: start,
          range_end: rangeEnd(start),
          start_revision: from,
          prev_kv: true,
        },
      });
    });
  }

  async compact(revision: number): Promise<void> {
    await this.deadlines.limit(this.client.kv.compact({ revision, physical: true }));
  }

  async ping(): Promise<void> {
    await this.revision();
  }

  async close(): Promise<void> {
    this.deadlines.close();
    this.client.close();
  }

  private request(op: RawOp, leases: Map<number, string>): IRequestOp {
    if (op.type === 'delete')
      return {
        request_delete_range: {
          key: this.raw(op.key),
          ...(op.prefix ? { range_end: rangeEnd(this.raw(op.key)) } : {}),
        },
      };
    return {
      request_put: {
        key: this.raw(op.key),
        value: Buffer.from(op.value),
        ...(op.ttl === undefined ? {} : { lease: leases.get(op.ttl)! }),
      },
    };
  }

  private raw(key: string): Buffer {
    return Buffer.from(this.ns + key);
  }

  private entry(kv: IKeyValue): RawEntry {
    return {
      key: kv.key.toString().slice(this.ns.length),
      value: kv.value.toString(),
      revision: Number(kv.mod_revision),
    };
  }

  private event(e: IWatchResponse['events'][number]): RawEvent {
    const revision = Number(e.kv.mod_revision);
    const key = e.kv.key.toString().slice(this.ns.length);
    const previous = e.prev_kv && {
      previous: { value: e.prev_kv.value.toString(), revision: Number(e.prev_kv.mod_revision) },
    };
    return e.type === 'Put'
      ? { type: 'put', key, value: e.kv.value.toString(), revision, ...previous }
      : { type: 'delete', key, revision, ...previous };
  }
}

/** The key after every key that starts with `start`; `\0` for the whole key space. */
function rangeEnd(start: Buffer): Buffer {
  const end = Buffer.from(start);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}
