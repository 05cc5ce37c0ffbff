// KV store throughput and put-to-watch latency through the plugin, against the raw etcd3
// and redis clients doing the same work on the same servers in the same run.
// Run with `npm run bench:kv`; KV_BENCH_OPS sets the operations per measured run.
//
// What "the same work" is:
// - etcd: the raw client puts and gets the same keys with the etcd3 package's own calls.
// - redis: a plugin write is one Lua script that bumps the revision, stores value and
//   revision and appends the change to the stream (that is what makes watch gap-free), so
//   the raw put runs that same script with EVALSHA, and the raw get is the same HGET.
//   Plain SET/GET are printed beside them for context, not used for the ratio.
// Both sides keep the same number of operations in flight; the sides take turns over
// several rounds (the order flips every round); rates are the median of the rounds, and the
// ratio is the median of each round's plugin/raw ratio (two runs back to back, same load).
import 'reflect-metadata';
import { Etcd3 } from 'etcd3';
import { Registry } from 'prom-client';
import { createClient } from 'redis';
import { cpus, loadavg } from 'node:os';
import { Agent } from '../src/index.js';
import { KvPlugin } from '../plugins/kv/index.js';
import { COMMIT } from '../plugins/kv/backends/redis-scripts.js';
import { StatusCheckPlugin } from '../plugins/status-check/index.js';
import { ownEtcd, shared, suffix } from '../test/helpers/servers.js';

const OPS = Number(process.env.KV_BENCH_OPS ?? 1_500);
/** KV_BENCH_ONLY=etcd or redis runs one backend (e.g. under `node --cpu-prof`). */
const ONLY = process.env.KV_BENCH_ONLY;
const IN_FLIGHT = 64;
const ROUNDS = 21;
const KEYS = 500;
const LATENCY_SAMPLES = 300;
/** The Redis backend's keys, in the order its scripts expect them. */
const REDIS_KEYS = ['rev', 'data', 'index', 'expiry', 'changes', 'epoch'];

interface Side {
  label: string;
  put(i: number): Promise<unknown>;
  get(i: number): Promise<unknown>;
  /** Resolves with the ms from a put to its watch event. */
  putToWatch?(i: number): Promise<number>;
  close(): Promise<void>;
}

interface Run {
  rate: number;
  /** Client CPU µs per operation (this process). */
  cpu: number;
}

async function measure(run: (i: number) => Promise<unknown>, ops = OPS): Promise<Run> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ops) await run(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: ops / seconds, cpu: (used.user + used.system) / ops };
}

function median(runs: Run[]): Run {
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return { rate: mid(runs.map((r) => r.rate)), cpu: mid(runs.map((r) => r.cpu)) };
}

async function latencies(side: Side): Promise<{ p50: number; p99: number } | undefined> {
  if (!side.putToWatch) return undefined;
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) samples.push(await side.putToWatch(i));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** Settles the pending put-to-watch measurement when the watch sees the change. */
function waiter() {
  let pending: ((t: number) => void) | undefined;
  return {
    arm: () => new Promise<number>((resolve) => (pending = resolve)),
    fire: () => {
      const p = pending;
      pending = undefined;
      p?.(performance.now());
    },
  };
}

async function timedPut(w: ReturnType<typeof waiter>, put: () => Promise<unknown>) {
  const event = w.arm();
  const start = performance.now();
  await put();
  return (await event) - start;
}

const key = (i: number) => `/bench/${i % KEYS}`;
const value = (i: number) => `value-${i}`;

/** The plugin as an application runs it: with the status check and a metrics registry. */
async function pluginSide(settings: Record<string, unknown>): Promise<Side> {
  const status = new StatusCheckPlugin();
  const kv = new KvPlugin();
  kv.deps = { status, metrics: { registry: new Registry() } };
  const agent = new Agent(
    [
      { name: 'status', plugin: status },
      { name: 'kv', plugin: kv },
    ],
    { name: 'bench', env: {}, config: { kv: settings }, log: { level: 'error' } },
  );
  await agent.start();
  const w = waiter();
  const watch = await kv.watch('/lat/', () => w.fire());
  return {
    label: 'plugin',
    put: (i) => kv.put(key(i), value(i)),
    get: (i) => kv.get(key(i)),
    putToWatch: (i) => timedPut(w, () => kv.put(`/lat/${i % 10}`, value(i))),
    async close() {
      await watch.close();
      await agent.stop();
    },
  };
}

async function rawEtcd(port: number): Promise<Side> {
  const client = new Etcd3({ hosts: `http://127.0.0.1:${port}` });
  const ns = client.namespace(`/raw-${suffix()}`);
  const w = waiter();
  const watcher = await ns.watch().prefix('/lat/').create();
  watcher.on('put', () => w.fire());
  return {
    label: 'raw',
    put: (i) =>
      ns
        .put(key(i))
        .value(JSON.stringify(value(i)))
        .exec(),
    get: (i) => ns.get(key(i)).string(),
    putToWatch: (i) =>
      timedPut(w, () =>
        ns
          .put(`/lat/${i % 10}`)
          .value(JSON.stringify(value(i)))
          .exec(),
      ),
    async close() {
      await watcher.cancel();
      client.close();
    },
  };
}

/** The raw redis client running the backend's own write script and reading its stream. */
async function rawRedisScript(namespace: string): Promise<Side> {
  const client = createClient({ url: shared.redis.url });
  const reader = client.duplicate();
  await client.connect();
  await reader.connect();
  type StreamReply = Array<{
    messages: Array<{ id: string; message: Record<string, string> }>;
  }> | null;
  const keys = REDIS_KEYS.map((k) => `{${namespace}}:${k}`);
  const sha = await client.scriptLoad(COMMIT);
  const write = (k: string, v: string) =>
    client.evalSha(sha, { keys, arguments: ['10000', '0', 'p', k, JSON.stringify(v), ''] });
  const w = waiter();
  let reading = true;
  const tail = (async () => {
    let after = '0-0';
    while (reading) {
      const reply: StreamReply = await reader.xRead(
        { key: keys[4]!, id: after },
        { COUNT: 1000, BLOCK: 200 },
      );
      const messages = reply?.[0]?.messages ?? [];
      for (const m of messages) {
        after = m.id;
        if ((JSON.parse(m.message.e!) as string[][]).some((c) => c[1]!.startsWith('/lat/')))
          w.fire();
      }
    }
  })();
  return {
    label: 'raw',
    put: (i) => write(key(i), value(i)),
    get: (i) => client.hGet(keys[1]!, key(i)),
    putToWatch: (i) => timedPut(w, () => write(`/lat/${i % 10}`, value(i))),
    async close() {
      reading = false;
      await tail;
      await client.del(keys);
      reader.destroy();
      client.destroy();
    },
  };
}

/** Plain SET and GET on the same server: what Redis does without revisions or history. */
async function plainRedis(): Promise<Side> {
  const prefix = `raw-${suffix()}:`;
  const client = createClient({ url: shared.redis.url });
  await client.connect();
  return {
    label: 'SET/GET',
    put: (i) => client.set(prefix + key(i), JSON.stringify(value(i))),
    get: (i) => client.get(prefix + key(i)),
    async close() {
      await client.del(Array.from({ length: KEYS }, (_, i) => prefix + key(i)));
      client.destroy();
    },
  };
}

async function compare(backend: string, sides: Side[]): Promise<void> {
  const ops = ['put', 'get'] as const;
  const runs = new Map(sides.map((s) => [s, { put: [] as Run[], get: [] as Run[] }]));
  // warm up every side (JIT, connections, the keys the gets read)
  for (const side of sides) {
    await measure((i) => side.put(i), KEYS * 2);
    await measure((i) => side.get(i), KEYS * 2);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const op of ops)
      for (const side of order) runs.get(side)![op].push(await measure((i) => side[op](i)));
  }
  for (const side of sides) {
    const r = runs.get(side)!;
    const [put, get] = [median(r.put), median(r.get)];
    const lat = await latencies(side);
    console.log(
      `${backend.padEnd(6)} ${side.label.padEnd(8)} put ${put.rate.toFixed(0).padStart(6)} ops/s (${put.cpu.toFixed(0).padStart(3)} µs cpu/op)` +
        `  get ${get.rate.toFixed(0).padStart(6)} ops/s (${get.cpu.toFixed(0).padStart(3)} µs cpu/op)` +
        (lat ? `  put→watch p50 ${lat.p50.toFixed(2)} ms p99 ${lat.p99.toFixed(2)} ms` : ''),
    );
  }
  // the ratio of each round's two runs, which ran back to back under the same load; then the median
  const plugin = runs.get(sides.find((s) => s.label === 'plugin')!)!;
  const raw = runs.get(sides.find((s) => s.label === 'raw')!)!;
  const ratio = (op: (typeof ops)[number]) => {
    const each = plugin[op].map((p, i) => p.rate / raw[op][i]!.rate).sort((a, b) => a - b);
    const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
    return `${pct(each[Math.floor(each.length / 2)]!)} (rounds ${pct(each[0]!)}–${pct(each.at(-1)!)})`;
  };
  console.log(
    `${backend.padEnd(6)} ratio    put ${ratio('put')}  get ${ratio('get')} of raw (target >= 90%)`,
  );
  // the servers do the same work for both sides, so what the plugin adds is client CPU;
  // CPU per operation depends far less on what else the machine runs than a rate does
  const cpu = (op: (typeof ops)[number]) =>
    `${((median(raw[op]).cpu / median(plugin[op]).cpu) * 100).toFixed(0)}%`;
  console.log(
    `${backend.padEnd(6)} cpu      put ${cpu('put')}  get ${cpu('get')}: raw client CPU per operation / plugin's`,
  );
}

console.log(
  `${OPS} operations per run, ${IN_FLIGHT} in flight, ${ROUNDS} rounds; ` +
    `${cpus().length} cores, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(
  "redis raw put: EVALSHA of the plugin's write script (revision, value, stream); raw get: HGET",
);

if (ONLY !== 'redis') await benchEtcd();
if (ONLY !== 'etcd') await benchRedis();
console.log(
  `load after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

async function benchEtcd(): Promise<void> {
  const etcd = await ownEtcd();
  try {
    const etcdPlugin = await pluginSide({
      url: `etcd://127.0.0.1:${etcd.port}`,
      namespace: `/bench-${suffix()}`,
    });
    const etcdRaw = await rawEtcd(etcd.port);
    await compare('etcd', [etcdRaw, etcdPlugin]);
    await etcdPlugin.close();
    await etcdRaw.close();
  } finally {
    await etcd.stop();
  }
}

async function benchRedis(): Promise<void> {
  const namespace = `bench-${suffix()}`;
  const redisPlugin = await pluginSide({ url: shared.redis.url, namespace });
  const redisRaw = await rawRedisScript(`raw-${suffix()}`);
  const redisPlain = await plainRedis();
  try {
    await compare('redis', [redisRaw, redisPlugin, redisPlain]);
  } finally {
    await redisPlugin.close();
    await redisRaw.close();
    await redisPlain.close();
    const cleanup = createClient({ url: shared.redis.url });
    await cleanup.connect();
    await cleanup.del(REDIS_KEYS.map((k) => `{${namespace}}:${k}`));
    cleanup.destroy();
  }
}
