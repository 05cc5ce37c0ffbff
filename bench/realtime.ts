// Fan-out to 1,000 WebSocket clients: the realtime plugin (Centrifuge JSON protocol)
// against a bare `ws` server that broadcasts the same JSON, in the same run. Each
// server runs in its own child process; the clients run in this one. The two are
// measured in turns (BENCH_ROUNDS rounds), so a change of machine load between
// them shows in the spread instead of in one side; the ratios are medians.
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
import { type HttpHandlers, RpcFlavor } from '../flavors/rpc/index.js';
import { RealtimePlugin, type Realtime } from '../plugins/realtime/index.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 1000);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 100);
const BURST = Number(process.env.BENCH_BURST ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
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

interface Result {
  p50: number;
  p99: number;
  perSecond: number;
  /** Server CPU ms (user + system) per publication during the burst. */
  cpuMs: number;
  rssMb: number;
}

/** A process's status line from /proc: user + system CPU ms, and RSS in MB. */
function processFigures(pid: number): { cpuMs: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS, rssMb: Number(rss ?? 0) / 1024 };
}

const CLOCK_TICKS = 100;

async function measure(kind: 'plugin' | 'bare'): Promise<Result> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
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
      const frame = JSON.parse(data.toString()) as {
        data?: { t: number };
        push?: { pub?: { data: { t: number } } };
      };
      const sent = (frame.data ?? frame.push?.pub?.data)?.t;
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
  latencies.length = 0;
  for (let i = 0; i < SINGLES; i++) await deliver(1);
  latencies.sort((a, b) => a - b);
  const p50 = latencies[Math.floor(latencies.length * 0.5)] ?? NaN;
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? NaN;
  const before = processFigures(child.pid!);
  const began = now();
  await deliver(BURST);
  const perSecond = BURST / ((now() - began) / 1000);
  const after = processFigures(child.pid!);
  const cpuMs = (after.cpuMs - before.cpuMs) / BURST;
  const rssMb = after.rssMb;
  for (const ws of clients) ws.terminate();
  child.kill();
  await once(child, 'exit');
  return { p50, p99, perSecond, cpuMs, rssMb };
}

if (process.argv[2] === 'serve') {
  if (process.argv[3] === 'plugin') await servePlugin();
  else await serveBare();
} else {
  const bare: Result[] = [];
  const plugin: Result[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await measure('bare'));
    plugin.push(await measure('plugin'));
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const row = (name: string, r: Result) =>
    `${name.padEnd(18)} p50 ${r.p50.toFixed(1).padStart(6)} ms   p99 ${r.p99.toFixed(1).padStart(6)} ms   ${r.perSecond.toFixed(0).padStart(5)} publications/s   CPU ${r.cpuMs.toFixed(2)} ms/publication   RSS ${r.rssMb.toFixed(0)} MB`;
  console.log(
    `fan-out to ${CLIENTS} WebSocket clients (${SINGLES} single publications, a burst of ${BURST}), ${ROUNDS} rounds`,
  );
  for (let round = 0; round < ROUNDS; round++) {
    console.log(row(`bare ws, round ${round + 1}`, bare[round]!));
    console.log(row(`plugin, round ${round + 1}`, plugin[round]!));
  }
  const ratio = (f: (r: Result) => number) => median(bare.map((b, i) => f(plugin[i]!) / f(b)));
  console.log(
    `median ratio: throughput ${(ratio((r) => r.perSecond) * 100).toFixed(0)}% of bare (target >= 90%), ` +
      `p99 ${ratio((r) => r.p99).toFixed(2)}x bare (target <= 1.5x), ` +
      `server CPU per publication ${ratio((r) => r.cpuMs).toFixed(2)}x bare`,
  );
}
