// Fan-out to 1,000 WebSocket clients: the realtime plugin (Centrifuge JSON protocol)
// against a bare `ws` server that broadcasts the same JSON, in the same run. Each
// server runs in its own child process, both at once, each with its own 1,000
// clients in this process; they are measured in short alternating turns
// (BENCH_ROUNDS rounds, the order swapped every round), so a change of machine
// load hits both alike; the ratios are medians of the rounds' ratios.
// Figures: delivery latency p50/p99 of single publications, publications/s of a
// burst delivered to every client, and the server's CPU time per publication
// (user + system, from /proc), which depends least on the machine's load.
// Usage: npm run bench:realtime
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer } from 'ws';
import { Agent, Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { RealtimePlugin, type Realtime } from '../plugins/realtime/index.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
/** Single publications per server and round, for latency. */
const SINGLES = Number(process.env.BENCH_SINGLES ?? 20);
/** Publications of each server's burst per round, for throughput. */
const BURST = Number(process.env.BENCH_BURST ?? 100);
const CHANNEL = 'news';
const now = () => performance.timeOrigin + performance.now();

/** Publishes `count` messages as fast as the server takes them. */
async function burst(publish: (data: unknown) => unknown, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await publish({ t: now(), i });
    // let the sockets drain now and then, as a busy server's event loop would
    if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve));
  }
}

class BurstRoute implements Plugin {
  deps!: { http: HttpHandlers; realtime: Realtime };
  init(_ctx: InitContext): void {
    this.deps.http.post('/burst', async (req, res) => {
      await burst((data) => this.deps.realtime.publish(CHANNEL, data), Number(req.query.count));
      res.json({ ok: true });
    });
  }
}

@Flavor()
class BenchFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() realtime = new RealtimePlugin({ defaults: {} });
  @Plug() burst = new BurstRoute();
  inject(): void {
    this.realtime.deps = { http: this.rpc.http, metrics: this.rpc.prometheus };
    this.burst.deps = { http: this.rpc.http, realtime: this.realtime };
  }
}

async function servePlugin(): Promise<void> {
  const agent = new Agent(new BenchFlavor(), {
    name: 'bench',
    env: {},
    config: {
      http: { port: 0 },
      realtime: { anonymous: true, maxConnections: CLIENTS + 10, sendBufferLimit: 64 << 20 },
      logs: { level: 'error' },
    },
  });
  await agent.start();
  const http = agent.container.get<{ address(): { port: number } }>('http');
  console.log(`PORT ${http.address().port}`);
}

async function serveBare(): Promise<void> {
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    const count = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('count'));
    void burst((data) => {
      // the bytes the plugin sends for a publication in "news"
      const frame = Buffer.from(JSON.stringify({ push: { channel: CHANNEL, pub: { data } } }));
      for (const ws of wss.clients) ws.send(frame, { binary: false });
    }, count).then(() => res.end('{"ok":true}'));
  });
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws)),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  console.log(`PORT ${(server.address() as { port: number }).port}`);
}

/** One burst: publications/s delivered to every client, and server CPU ms per publication. */
interface Burst {
  perSecond: number;
  cpuMs: number;
}

/** A process's user + system CPU ms and RSS in MB, from /proc. */
function processFigures(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS, rssMb: Number(rss ?? 0) / 1024 };
}

const CLOCK_TICKS = 100;

/** A server in its child process with its clients connected (and subscribed). */
async function serve(kind: 'plugin' | 'bare') {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', kind],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const port = await new Promise<number>((resolve) =>
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    }),
  );
  const latencies: number[] = [];
  let received = 0;
  let onReceive = () => undefined as void;
  const clients: WebSocket[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`);
    await once(ws, 'open');
    if (kind === 'plugin') {
      ws.send('{"id":1,"connect":{}}\n{"id":2,"subscribe":{"channel":"news"}}');
      await new Promise<void>((resolve) => {
        const wait = (data: Buffer) => {
          if (!data.toString().includes('"id":2')) return;
          ws.off('message', wait);
          resolve();
        };
        ws.on('message', wait);
      });
    }
    ws.on('message', (data: Buffer) => {
      const at = now();
      // the server's ping: answered as a Centrifuge client does, or it disconnects the client
      if (data.length === 2 && data.toString() === '{}') return void ws.send('{}');
      const sent = (JSON.parse(data.toString()) as { push?: { pub?: { data: { t: number } } } })
        .push?.pub?.data.t;
      if (sent === undefined) return;
      latencies.push(at - sent);
      received++;
      onReceive();
    });
    clients.push(ws);
  }
  const deliver = async (count: number) => {
    const want = received + count * CLIENTS;
    const all = new Promise<void>((resolve) => {
      onReceive = () => {
        if (received >= want) resolve();
      };
    });
    await fetch(`http://127.0.0.1:${port}/burst?count=${count}`, { method: 'POST' });
    await all;
  };
  await deliver(5); // warm up
  if (process.env.BENCH_DEBUG) console.error(`${kind}: ${CLIENTS} clients ready`);
  const singles: number[] = [];
  return {
    kind,
    singles,
    /** Single publications one after another; their latencies are kept. */
    async measureLatency(count: number) {
      for (let i = 0; i < count; i++) {
        latencies.length = 0;
        await deliver(1);
        singles.push(...latencies);
      }
    },
    async measureBurst(count: number): Promise<Burst> {
      const before = processFigures(child.pid!);
      const began = now();
      await deliver(count);
      const perSecond = count / ((now() - began) / 1000);
      return { perSecond, cpuMs: (processFigures(child.pid!).cpuMs - before.cpuMs) / count };
    },
    rssMb: () => processFigures(child.pid!).rssMb,
    async close() {
      for (const ws of clients) ws.terminate();
      child.kill();
      await once(child, 'exit');
    },
  };
}

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length * p)] ?? NaN;
const median = (values: number[]) => percentile(values, 0.5);

if (process.argv[2] === 'serve') {
  if (process.argv[3] === 'plugin') await servePlugin();
  else await serveBare();
} else {
  const bare = await serve('bare');
  const plugin = await serve('plugin');
  const bursts = { bare: [] as Burst[], plugin: [] as Burst[] };
  for (let round = 0; round < ROUNDS; round++) {
    const turn = round % 2 === 0 ? [bare, plugin] : [plugin, bare];
    for (const server of turn) await server.measureLatency(SINGLES);
    for (const server of turn) bursts[server.kind].push(await server.measureBurst(BURST));
    if (process.env.BENCH_DEBUG) console.error(`round ${round + 1}: ${JSON.stringify(bursts)}`);
  }
  const rss = { bare: bare.rssMb(), plugin: plugin.rssMb() };
  await bare.close();
  await plugin.close();
  const row = (server: typeof bare) => {
    const b = bursts[server.kind];
    return `${(server.kind === 'bare' ? 'bare ws broadcast' : 'realtime plugin').padEnd(18)} p50 ${percentile(server.singles, 0.5).toFixed(1).padStart(6)} ms   p99 ${percentile(server.singles, 0.99).toFixed(1).padStart(6)} ms   ${median(
      b.map((x) => x.perSecond),
    )
      .toFixed(0)
      .padStart(
        5,
      )} publications/s   CPU ${median(b.map((x) => x.cpuMs)).toFixed(2)} ms/publication   RSS ${rss[server.kind].toFixed(0)} MB`;
  };
  const total = (kind: 'bare' | 'plugin') => bursts[kind].reduce((sum, b) => sum + b.cpuMs, 0);
  console.log(
    `fan-out to ${CLIENTS} WebSocket clients, ${ROUNDS} alternating rounds of ${SINGLES} single publications and a burst of ${BURST} each (medians)`,
  );
  console.log(row(bare));
  console.log(row(plugin));
  console.log(
    `throughput ${(median(bursts.bare.map((b, i) => bursts.plugin[i]!.perSecond / b.perSecond)) * 100).toFixed(0)}% of bare (target >= 90%; rounds ${bursts.bare.map((b, i) => ((bursts.plugin[i]!.perSecond / b.perSecond) * 100).toFixed(0)).join(' ')}), ` +
      `p99 ${(percentile(plugin.singles, 0.99) / percentile(bare.singles, 0.99)).toFixed(2)}x bare (target <= 1.5x), ` +
      `server CPU per publication ${(total('plugin') / total('bare')).toFixed(2)}x bare`,
  );
}
