// Requests/s of the greeter route served through the RPC flavor against bare
// express 5 serving the same handler, measured in the same run with autocannon.
// Each server runs in its own child process; the load generator in this one.
// Usage: npm run bench:http
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import express, { type RequestHandler } from 'express';
import { Counter, Registry } from 'prom-client';
import { Agent, Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import type { Metrics } from '../plugins/prometheus/index.js';
import { announce, report, type Run, startServer } from './compare.js';

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
async function measure(kind: string): Promise<Run> {
  const server = await startServer(fileURLToPath(import.meta.url), kind);
  const port = server.port;
  const url = `http://127.0.0.1:${port}/hello?name=bench`;
  await Promise.resolve(
    autocannon({
      url,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration: WARM_UP_SECONDS,
    }),
  );
  server.restartCpu();
  const load = Promise.resolve(
    autocannon({
      url,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration: SECONDS,
    }),
  );
  let cpu = NaN;
  const result = await load.finally(async () => (cpu = await server.stop()));
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${kind}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return { rate: result.requests.average, cpu: cpu / result.requests.total };
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!);
} else {
  const bare: Run[] = [];
  const rpc: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await measure('bare'));
    rpc.push(await measure('rpc'));
  }
  report('request', { name: 'bare express 5', runs: bare }, { name: 'RPC flavor', runs: rpc }, 95);
}
