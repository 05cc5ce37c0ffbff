// KV store throughput and put-to-watch latency through the plugin, against the raw etcd3
// and redis clients on the same servers in the same run. Run with `npm run bench:kv`.
import 'reflect-metadata';
import { Etcd3 } from 'etcd3';
import { createClient } from 'redis';
import { Agent } from '../src/index.js';
import { KvPlugin } from '../plugins/kv/index.js';
import { ownEtcd, shared, suffix } from '../test/helpers/servers.js';

const OPS = Number(process.env.KV_BENCH_OPS ?? 4_000);
const CONCURRENCY = 32;
const LATENCY_SAMPLES = 300;

interface Side {
  put(key: string, value: string): Promise<unknown>;
  get(key: string): Promise<unknown>;
  /** Resolves with the ms from a put to its watch event. */
  putToWatch(key: string, value: string): Promise<number>;
  close(): Promise<void>;
}

async function opsPerSecond(run: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < OPS) await run(next++);
    }),
  );
  return OPS / ((performance.now() - started) / 1000);
}

async function latencies(side: Side): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++)
    samples.push(await side.putToWatch(`/lat/${i % 10}`, `v${i}`));
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** A watch callback that settles the pending put-to-watch measurement. */
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

async function pluginSide(settings: Record<string, unknown>): Promise<Side> {
  const kv = new KvPlugin();
  const agent = new Agent([{ name: 'kv', plugin: kv }], {
    name: 'bench',
    env: {},
    config: { kv: settings },
    log: { level: 'error' },
  });
  await agent.start();
  const w = waiter();
  await kv.watch('/lat/', () => w.fire());
  return {
    put: (k, v) => kv.put(k, v),
    get: (k) => kv.get(k),
    async putToWatch(k, v) {
      const event = w.arm();
      const start = performance.now();
      await kv.put(k, v);
      return (await event) - start;
    },
    close: () => agent.stop(),
  };
}

async function rawEtcd(port: number): Promise<Side> {
  const client = new Etcd3({ hosts: `http://127.0.0.1:${port}` });
  const ns = client.namespace(`/raw-${suffix()}`);
  const w = waiter();
  const watcher = await ns.watch().prefix('/lat/').create();
  watcher.on('put', () => w.fire());
  return {
    put: (k, v) => ns.put(k).value(v).exec(),
    get: (k) => ns.get(k).string(),
    async putToWatch(k, v) {
      const event = w.arm();
      const start = performance.now();
      await ns.put(k).value(v).exec();
      return (await event) - start;
    },
    async close() {
      await watcher.cancel();
      client.close();
    },
  };
}

async function rawRedis(): Promise<Side> {
  const prefix = `raw-${suffix()}:`;
  const client = createClient({ url: shared.redis.url });
  const reader = client.duplicate();
  await client.connect();
  await reader.connect();
  const stream = `${prefix}stream`;
  return {
    put: (k, v) => client.set(prefix + k, v),
    get: (k) => client.get(prefix + k),
    async putToWatch(k, v) {
      // the raw baseline of a watch: write, append to a stream, read it on a second connection
      const start = performance.now();
      const read = reader.xRead({ key: stream, id: '$' }, { COUNT: 1, BLOCK: 1000 });
      await client.set(prefix + k, v);
      await client.xAdd(stream, '*', { k, v });
      await read;
      return performance.now() - start;
    },
    async close() {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(keys);
      reader.destroy();
      client.destroy();
    },
  };
}

async function compare(name: string, plugin: Side, raw: Side): Promise<void> {
  const figures: Record<string, [number, number]> = {};
  for (const [label, side] of [
    ['raw', raw],
    ['plugin', plugin],
  ] as const) {
    const put = await opsPerSecond((i) => side.put(`/bench/${i % 500}`, `value-${i}`));
    const get = await opsPerSecond((i) => side.get(`/bench/${i % 500}`));
    const { p50, p99 } = await latencies(side);
    figures[label] = [put, get];
    console.log(
      `${name.padEnd(6)} ${label.padEnd(7)} put ${put.toFixed(0).padStart(7)} ops/s  get ${get.toFixed(0).padStart(7)} ops/s  put→watch p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms`,
    );
  }
  const [pp, pg] = figures.plugin!;
  const [rp, rg] = figures.raw!;
  console.log(
    `${name.padEnd(6)} ratio   put ${((pp / rp) * 100).toFixed(0)}%  get ${((pg / rg) * 100).toFixed(0)}% of raw (target >= 90%)`,
  );
}

const etcd = await ownEtcd();
try {
  const etcdUrl = `etcd://127.0.0.1:${etcd.port}`;
  const etcdPlugin = await pluginSide({ url: etcdUrl, namespace: `/bench-${suffix()}` });
  const etcdRaw = await rawEtcd(etcd.port);
  await compare('etcd', etcdPlugin, etcdRaw);
  await etcdPlugin.close();
  await etcdRaw.close();

  const ns = `bench-${suffix()}`;
  const redisPlugin = await pluginSide({ url: shared.redis.url, namespace: ns });
  const redisRaw = await rawRedis();
  await compare('redis', redisPlugin, redisRaw);
  await redisPlugin.close();
  await redisRaw.close();
  const cleanup = createClient({ url: shared.redis.url });
  await cleanup.connect();
  await cleanup.del(
    ['rev', 'data', 'index', 'expiry', 'changes', 'epoch'].map((k) => `{${ns}}:${k}`),
  );
  cleanup.destroy();
} finally {
  await etcd.stop();
}
