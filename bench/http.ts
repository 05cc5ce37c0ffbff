// `GET /hello?name=Ada` served by bare express 5, the RPC flavor on express, bare
// Fastify 5 and the RPC flavor on Fastify, each in its own child process, loaded in
// the same run with 50 connections (wrk when installed, autocannon otherwise).
// Prints the medians of 5 rounds: requests/s, p99 latency, server CPU per request,
// and what the flavor keeps of its bare engine's rate; then each flavor and its
// bare engine loaded at the same time on one core, for a CPU share that the
// machine's drift between rounds does not move.
// Usage: npm run bench:http   (BENCH_SECONDS=5 by default)
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import express from 'express';
import Fastify from 'fastify';
import { Counter, Registry } from 'prom-client';
import { Agent, Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import type { Metrics } from '../plugins/prometheus/index.js';
import { announce, startServer } from './compare.js';
import { load, loadTool } from './load.js';

const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARM_UP_SECONDS = 2;
const ROUNDS = 5;
const PATH = '/hello?name=Ada';

const SERVERS = {
  express: 'bare express 5',
  'rpc-express': 'RPC flavor on express',
  fastify: 'bare Fastify 5',
  'rpc-fastify': 'RPC flavor on Fastify',
} as const;
type Kind = keyof typeof SERVERS;

/** The greeting every server answers, counted in a metric like the hello-agent greeter's. */
function greeter(registry: Registry): (name: unknown) => { message: string } {
  const greetings = new Counter({
    name: 'greetings_total',
    help: 'greetings',
    registers: [registry],
  });
  return (name) => {
    greetings.inc();
    return { message: `Hello, ${typeof name === 'string' && name ? name : 'world'}!` };
  };
}

/** The greeter plugin: express-style on engine express (as examples/hello-agent), route() on Fastify. */
class GreeterPlugin implements Plugin {
  deps!: { http: HttpHandlers; metrics: Metrics };
  constructor(private readonly neutral: boolean) {}
  init(_ctx: InitContext): void {
    const greet = greeter(this.deps.metrics.registry);
    if (this.neutral) {
      this.deps.http.route('GET', '/hello', (req, reply) => reply.json(greet(req.query.name)));
    } else {
      this.deps.http.get('/hello', (req, res) => void res.json(greet(req.query.name)));
    }
  }
}

@Flavor()
class HelloFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() greeter: GreeterPlugin;
  constructor(neutral: boolean) {
    this.greeter = new GreeterPlugin(neutral);
  }
  inject(): void {
    this.greeter.deps = { http: this.rpc.http, metrics: this.rpc.prometheus };
  }
}

async function serve(kind: Kind): Promise<void> {
  if (kind === 'express') {
    const greet = greeter(new Registry());
    const app = express();
    app.get('/hello', (req, res) => void res.json(greet(req.query.name)));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    announce((server.address() as { port: number }).port, () => server.close());
  } else if (kind === 'fastify') {
    const greet = greeter(new Registry());
    const app = Fastify();
    app.get('/hello', (req, reply) => {
      void reply.send(greet((req.query as { name?: string }).name));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    announce((app.server.address() as { port: number }).port, () => void app.close());
  } else {
    const engine = kind === 'rpc-fastify' ? 'fastify' : 'express';
    const app = new HelloFlavor(engine === 'fastify');
    const agent = new Agent(app, {
      name: 'bench',
      env: {},
      config: { http: { port: 0, engine } },
      log: { level: 'warn' },
    });
    await agent.start();
    announce(app.rpc.http.address().port, () => void agent.stop());
  }
}

/** One server's figures in one round. */
interface Figures {
  rate: number;
  p99: number;
  /** Server CPU µs per request. */
  cpu: number;
}

/**
 * Each server's figures in one round. Two servers are loaded at the same time,
 * on the same core (each by its own load generator), so that both meet the
 * same machine: their CPU per request compares even when the machine's speed
 * drifts from one round to the next.
 */
async function measure(...kinds: Kind[]): Promise<Figures[]> {
  const script = fileURLToPath(import.meta.url);
  const servers = await Promise.all(kinds.map((kind) => startServer(script, kind)));
  const urls = servers.map((server) => `http://127.0.0.1:${server.port}${PATH}`);
  try {
    await Promise.all(urls.map((url) => load(url, CONNECTIONS, WARM_UP_SECONDS)));
    for (const server of servers) server.restartCpu();
    const results = await Promise.all(urls.map((url) => load(url, CONNECTIONS, SECONDS)));
    const cpus = await Promise.all(servers.map((server) => server.stop()));
    return results.map((r, i) => ({ rate: r.rate, p99: r.p99, cpu: cpus[i]! / r.requests }));
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as Kind);
} else {
  const kinds = Object.keys(SERVERS) as Kind[];
  const runs = new Map<Kind, Figures[]>(kinds.map((k) => [k, []]));
  const load1 = loadavg()[0]!;
  for (let round = 0; round < ROUNDS; round++) {
    // every other round in reverse, so that a load rising or falling during the run favours neither
    for (const kind of round % 2 ? [...kinds].reverse() : kinds) {
      runs.get(kind)!.push((await measure(kind))[0]!);
    }
  }
  const med = new Map(
    kinds.map((k) => {
      const r = runs.get(k)!;
      return [
        k,
        {
          rate: median(r.map((f) => f.rate)),
          p99: median(r.map((f) => f.p99)),
          cpu: median(r.map((f) => f.cpu)),
        },
      ];
    }),
  );
  console.log(
    `${loadTool}, ${CONNECTIONS} connections, ${SECONDS} s per run, median of ${ROUNDS} rounds; load average ${load1.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
  );
  for (const kind of kinds) {
    const f = med.get(kind)!;
    const all = runs
      .get(kind)!
      .map((r) => r.rate.toFixed(0))
      .join(', ');
    console.log(
      `${`${SERVERS[kind]}:`.padEnd(24)} ${f.rate.toFixed(0).padStart(6)} req/s (${all}), p99 ${f.p99.toFixed(2)} ms, server CPU ${f.cpu.toFixed(1)} µs/req`,
    );
  }
  // each round measures a flavor right after its bare engine: the ratio of that pair is
  // fair even when the machine's load changes between rounds; the median of the rounds is printed
  for (const [flavor, bare, target] of [
    ['rpc-express', 'express', 95],
    ['rpc-fastify', 'fastify', 90],
  ] as const) {
    const pairs = runs.get(flavor)!.map((f, i) => ({ f, b: runs.get(bare)![i]! }));
    const rate = median(pairs.map(({ f, b }) => (100 * f.rate) / b.rate));
    const cpu = median(pairs.map(({ f, b }) => (100 * b.cpu) / f.cpu));
    console.log(
      `${SERVERS[flavor]} / ${SERVERS[bare]}: ${rate.toFixed(1)}% of the req/s (target >= ${target}%), ${cpu.toFixed(1)}% of the requests per CPU second`,
    );
  }
  // the same pairs at once, side by side on one core: the share of requests per CPU second
  for (const [flavor, bare] of [
    ['rpc-express', 'express'],
    ['rpc-fastify', 'fastify'],
  ] as const) {
    const shares: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [f, b] = await measure(flavor, bare);
      shares.push((100 * b!.cpu) / f!.cpu);
    }
    console.log(
      `${SERVERS[flavor]} beside ${SERVERS[bare]} on one core, at once: ${median(shares).toFixed(1)}% of the requests per CPU second (${shares.map((x) => x.toFixed(1)).join(', ')})`,
    );
  }
}
