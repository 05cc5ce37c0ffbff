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

async function serve(kind: string): Promise<void> {
  if (kind === 'bare') {
    const app = express();
    app.get('/hello', greet(new Registry()));
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    console.log(`port ${(server.address() as { port: number }).port}`);
    process.once('SIGTERM', () => server.close());
  } else {
    const app = new HelloFlavor();
    const agent = new Agent(app, {
      name: 'bench',
      env: {},
      config: { http: { port: 0 } },
      log: { level: 'warn' },
    });
    await agent.start();
    console.log(`port ${app.rpc.http.address().port}`);
    process.once('SIGTERM', () => void agent.stop());
  }
}

async function measure(kind: string): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', kind],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
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
  try {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}/hello?name=bench`,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration: SECONDS,
    });
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    return result.requests.average;
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!);
} else {
  const bare: number[] = [];
  const rpc: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await measure('bare'));
    rpc.push(await measure('rpc'));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `bare express 5: ${bare.map((x) => x.toFixed(0)).join(', ')} req/s (mean ${mean(bare).toFixed(0)})`,
  );
  console.log(
    `RPC flavor:     ${rpc.map((x) => x.toFixed(0)).join(', ')} req/s (mean ${mean(rpc).toFixed(0)})`,
  );
  console.log(
    `RPC flavor / bare express: ${((100 * mean(rpc)) / mean(bare)).toFixed(1)}% (target >= 95%)`,
  );
}
