// Messages per second and publish-to-handler latency of the events plugin: the memory
// backend, then NATS JetStream through the plugin against the raw NATS client, in one run.
// Both NATS sides publish the same way (JSON bodies with a message id for the stream's
// duplicate check, batches awaited together) into a stream of their own, and consume
// with a durable pull consumer, explicit acknowledgements and up to PREFETCH messages
// pulled ahead. `npm run bench:events` (NATS on 127.0.0.1:4222, or BENCH_NATS=host:port).
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Agent } from '../src/index.js';
import { EventsPlugin } from '../plugins/events/index.js';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const BATCH = 500;
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 256);
const CONCURRENCY = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LATENCY_SAMPLES = 2_000;
const NATS = process.env.BENCH_NATS ?? '127.0.0.1:4222';

interface Result {
  label: string;
  perSecond: number;
  /** CPU µs this process spent per message of the batched run (publish and handling). */
  cpu: number;
  p50: number;
  p99: number;
}

/** Publish-to-handler latency without a backlog: one message at a time, each awaited. */
async function oneByOne(
  publish: (sentAt: number) => Promise<unknown>,
  subscribe: (seen: (sentAt: number) => void) => Promise<unknown>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next: (() => void) | undefined;
  await subscribe((sentAt) => {
    latencies.push(performance.now() - sentAt);
    next?.();
  });
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const handled = new Promise<void>((resolve) => (next = resolve));
    await publish(performance.now());
    await handled;
  }
  return latencies;
}

function summary(label: string, { ms, cpu }: Drive, latencies: number[]): Result {
  // throughput from the batched run; latency from the one-at-a-time run
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { label, perSecond: (N / ms) * 1000, cpu, p50: at(0.5), p99: at(0.99) };
}

interface Drive {
  ms: number;
  /** CPU µs per message: far less dependent on what else the machine runs than a rate. */
  cpu: number;
}

/** Publishes N messages in batches and waits until the handler has seen them all. */
async function drive(
  label: string,
  publish: (sentAt: number) => Promise<unknown>,
  handled: { count: number; done: Promise<void> },
): Promise<Drive> {
  const start = Date.now();
  const cpu = process.cpuUsage();
  const began = performance.now();
  for (let sent = 0; sent < N; sent += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, N - sent) }, () => publish(performance.now())),
    );
  }
  const published = performance.now() - began;
  const behind = N - handled.count;
  await handled.done;
  const ms = performance.now() - began;
  const used = process.cpuUsage(cpu);
  if (process.env.BENCH_TRACE)
    console.log(
      `${label}: published in ${published.toFixed(0)} ms, ${behind} not handled then, all in ${ms.toFixed(0)} ms (${start}-${Date.now()})`,
    );
  return { ms, cpu: (used.user + used.system) / N };
}

function counter() {
  let resolve!: () => void;
  const state = {
    count: 0,
    done: new Promise<void>((r) => (resolve = r)),
    latencies: [] as number[],
  };
  return {
    state,
    seen(sentAt: number) {
      state.latencies.push(performance.now() - sentAt);
      if (++state.count === N) resolve();
    },
  };
}

async function viaPlugin(label: string, config: Record<string, unknown>): Promise<Result> {
  const events = new EventsPlugin();
  const agent = new Agent([{ name: 'events', plugin: events }], {
    name: 'bench',
    config: { events: { prefetch: PREFETCH, ...config } },
    env: {},
    log: { level: 'error' },
  });
  await agent.start();
  const c = counter();
  await events.subscribe<number>('bench.msgs', (e) => c.seen(e.data), {
    group: 'bench',
    concurrency: CONCURRENCY,
  });
  const run = await drive(label, (t) => events.publish('bench.msgs', t), c.state);
  const latencies = await oneByOne(
    (t) => events.publish('bench.one', t),
    (seen) => events.subscribe<number>('bench.one', (e) => seen(e.data), { group: 'bench' }),
  );
  await agent.stop();
  return summary(label, run, latencies);
}

async function rawNats(prefix: string): Promise<Result> {
  const nc = await connect({ servers: NATS });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: prefix, subjects: [`${prefix}.>`] });
  await jsm.consumers.add(prefix, {
    durable_name: 'bench',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    filter_subject: `${prefix}.msgs`,
  });
  const js = jetstream(nc);
  const c = counter();
  const consumer = await js.consumers.get(prefix, 'bench');
  const messages = await consumer.consume({
    max_messages: PREFETCH,
    callback: (m) => {
      c.seen(m.json<number>());
      m.ack();
    },
  });
  const run = await drive(
    'NATS, raw client',
    (t) => js.publish(`${prefix}.msgs`, JSON.stringify(t), { msgID: randomUUID() }),
    c.state,
  );
  await jsm.consumers.add(prefix, {
    durable_name: 'one',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.New,
    filter_subject: `${prefix}.one`,
  });
  let oneMessages: Awaited<ReturnType<typeof consumer.consume>> | undefined;
  const latencies = await oneByOne(
    (t) => js.publish(`${prefix}.one`, JSON.stringify(t), { msgID: randomUUID() }),
    async (seen) => {
      oneMessages = await (
        await js.consumers.get(prefix, 'one')
      ).consume({
        max_messages: PREFETCH,
        callback: (m) => {
          seen(m.json<number>());
          m.ack();
        },
      });
    },
  );
  await oneMessages?.close();
  await messages.close();
  await jsm.streams.delete(prefix);
  await nc.close();
  return summary('NATS, raw client', run, latencies);
}

async function cleanup(prefix: string): Promise<void> {
  const nc = await connect({ servers: NATS });
  await (await jetstreamManager(nc)).streams.delete(prefix).catch(() => false);
  await nc.close();
}

const memory = await viaPlugin('memory, plugin', {});
// raw and plugin take turns, each going first every other round, so that a change in the
// machine's load hits both sides alike; the figures are the median round of each side
const raws: Result[] = [];
const plugins: Result[] = [];
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const prefix = `bench_plugin_${Date.now()}`;
  const runRaw = () => rawNats(`bench_raw_${Date.now()}`);
  const runPlugin = () => viaPlugin('NATS, plugin', { url: `nats://${NATS}`, prefix });
  const [raw, plugin] =
    round % 2 === 0
      ? [await runRaw(), await runPlugin()]
      : await runPlugin().then(async (p) => [await runRaw(), p] as const);
  await cleanup(prefix);
  raws.push(raw);
  plugins.push(plugin);
  ratios.push(plugin.perSecond / raw.perSecond);
  console.log(
    `round ${round + 1}: raw ${raw.perSecond.toFixed(0)} msgs/s (${raw.cpu.toFixed(0)} µs cpu/msg), ` +
      `plugin ${plugin.perSecond.toFixed(0)} msgs/s (${plugin.cpu.toFixed(0)} µs cpu/msg) ` +
      `(${((plugin.perSecond / raw.perSecond) * 100).toFixed(0)}%)`,
  );
}

const median = <T>(items: T[], by: (item: T) => number): T =>
  [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)]!;
const results = [memory, median(raws, (r) => r.perSecond), median(plugins, (r) => r.perSecond)];

console.log(
  `msgs/s: ${N} messages published in batches of ${BATCH}; latency: ${LATENCY_SAMPLES} messages one at a time; NATS: median of ${ROUNDS} rounds`,
);
console.log(
  `raw:    js.publish(JSON, msgID) | durable pull consumer, consume({ max_messages: ${PREFETCH} }), explicit ack per message`,
);
console.log(
  `plugin: events.publish(data) (JSON, the id as msgID) | subscribe({ group, concurrency: ${CONCURRENCY} }), prefetch ${PREFETCH}: durable pull consumer, explicit ack per message after the handler`,
);
console.log('backend            msgs/s  µs cpu/msg   p50 ms   p99 ms');
for (const r of results) {
  console.log(
    `${r.label.padEnd(18)} ${r.perSecond.toFixed(0).padStart(7)} ${r.cpu.toFixed(0).padStart(11)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`,
  );
}
const ratio = median(ratios, (r) => r);
console.log(
  `NATS through the plugin: ${(ratio * 100).toFixed(0)}% of the raw client, median of the rounds' ratios (target >= 90%)`,
);
const cpuShare = median(raws, (r) => r.cpu).cpu / median(plugins, (r) => r.cpu).cpu;
console.log(
  `raw client CPU per message / the plugin's: ${(cpuShare * 100).toFixed(0)}% (medians of the rounds)`,
);
