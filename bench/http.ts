// Requests/s of the greeter route served through the RPC flavor against bare
// express 5 serving the same handler, measured in the same run with autocannon.
// Each server runs in its own child process; the load generator in this one.
// Usage: npm run bench:http
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express, { type RequestHandler } from 'express';
import { Counter, Registry } from 'prom-client';
import { Agent, Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { type HttpHandlers, type Metrics, RpcFlavor } from '../flavors/rpc/index.js';

const CONNECTIONS = 50;
// pipelining keeps the load generator cheaper than the server on a small machine
const PIPELINING = 10;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = 5;
const WARM_UP_SECONDS = 1;

/** The handler both servers run: the hello-agent greeter's. */
function greet(registry: Registry): RequestHandler {
  const greetings = new Counter({
    name: 'greetings_total',
    help: 'greetings',
    registers: [registry],
  });
  return (req, res) => {
    const name = typeof req.query.name === 'string' && req.query.name ? req.query.name : 'world';
    greetings.inc();
    res.json({ message: `Hello, ${name}!` });
  };
}

class GreeterPlugin implements Plugin {
  deps!: { http: HttpHandlers; metrics: Metrics };
  init(_ctx: InitContext): void {
    this.deps.http.get('/hello', greet(this.deps.metrics.registry));
  }
}

@Flavor()
class HelloFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() greeter = new GreeterPlugin();
  inject(): void {
    this.greeter.deps = { http: this.rpc.http, metrics: this.rpc.prometheus };
  }
}

/** Prints the port; on SIGTERM, prints the CPU time spent since, and stops. */
function announce(port: number, stop: () => void): void {
  let since = process.cpuUsage();
  // the benchmark warms the server up first, then starts the count afresh
  process.on('SIGUSR1', () => (since = process.cpuUsage()));
  console.log(`port ${port}`);
  process.once('SIGTERM', () => {
    const { user, system } = process.cpuUsage(since);
    console.log(`cpu ${user + system}`);
    process.stdin.destroy();
    stop();
  });
  // never outlive the benchmark: its end of our stdin closing means it is gone
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
}

async function serve(kind: string): Promise<void> {
  if (kind === 'bare') {
    const app = express();
    app.get('/hello', greet(new Registry()));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    announce((server.address() as { port: number }).port, () => server.close());
  } else {
    const app = new HelloFlavor();
    const agent = new Agent(app, {
      name: 'bench',
      env: {},
      config: { http: { port: 0 } },
      log: { level: 'warn' },
    });
    await agent.start();
    announce(app.rpc.http.address().port, () => void agent.stop());
  }
}

/** Requests/s and server CPU µs per request of one server under load. */
async function measure(kind: string): Promise<{ rate: number; cpu: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', kind],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  let out = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /port (\d+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`${kind} server exited: ${out}`)));
  });
  const url = `http://127.0.0.1:${port}/hello?name=bench`;
  await Promise.resolve(
    autocannon({
      url,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration: WARM_UP_SECONDS,
    }),
  );
  child.kill('SIGUSR1');
  const load = Promise.resolve(
    autocannon({
      url,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration: SECONDS,
    }),
  );
  const result = await load.finally(async () => {
    child.kill('SIGTERM');
    await once(child, 'exit');
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  const cpu = Number(/cpu (\d+)/.exec(out)?.[1] ?? NaN);
  return { rate: result.requests.average, cpu: cpu / result.requests.total };
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!);
} else {
  const bare: Array<{ rate: number; cpu: number }> = [];
  const rpc: Array<{ rate: number; cpu: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await measure('bare'));
    rpc.push(await measure('rpc'));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const show = (name: string, runs: Array<{ rate: number; cpu: number }>) =>
    console.log(
      `${name} ${runs.map((r) => r.rate.toFixed(0)).join(', ')} req/s (mean ${mean(runs.map((r) => r.rate)).toFixed(0)}); ` +
        `server CPU ${mean(runs.map((r) => r.cpu)).toFixed(1)} µs/request`,
    );
  show('bare express 5:', bare);
  show('RPC flavor:    ', rpc);
  const rateShare = (100 * mean(rpc.map((r) => r.rate))) / mean(bare.map((r) => r.rate));
  const cpuShare = (100 * mean(bare.map((r) => r.cpu))) / mean(rpc.map((r) => r.cpu));
  console.log(
    `RPC flavor / bare express: ${rateShare.toFixed(1)}% of the requests/s (target >= 95%)`,
  );
  console.log(`bare express CPU per request / RPC flavor's: ${cpuShare.toFixed(1)}%`);
}
