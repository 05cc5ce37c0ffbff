// Unary calls/s of SayHello served through the gRPC plugin (metrics and log
// interceptors on, health and reflection added) against a bare @grpc/grpc-js
// server with the same handler, measured in the same run. Each server runs in
// its own child process; the grpc-js client in this one keeps CONCURRENCY calls
// in flight. Server CPU per call is printed too, since on a small machine the
// client may be the bottleneck. Usage: npm run bench:grpc
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Registry } from 'prom-client';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { LocalFlavor } from '../flavors/local/index.js';
import { type GrpcServices, GrpcPlugin } from '../plugins/grpc/index.js';

const CONCURRENCY = 100;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = 5;
const WARM_UP_SECONDS = 1;
const PROTO = fileURLToPath(new URL('../examples/grpc-greeter/greeter.proto', import.meta.url));

type Hello = { name: string };
type Reply = { message: string };
type Greeter = grpc.ServiceDefinition;
type GreeterClient = grpc.Client & { SayHello(r: Hello, cb: (err: unknown) => void): void };

const loadGreeter = (): Greeter =>
  (
    grpc.loadPackageDefinition(protoLoader.loadSync(PROTO)) as unknown as {
      greeter: { Greeter: { service: Greeter } };
    }
  ).greeter.Greeter.service;

/** The handler both servers run. */
const sayHello = (call: grpc.ServerUnaryCall<Hello, Reply>, reply: grpc.sendUnaryData<Reply>) =>
  reply(null, { message: `Hello, ${call.request.name}!` });

class GreeterPlugin implements Plugin {
  deps!: { grpc: GrpcServices };
  async init(): Promise<void> {
    const pkg = (await this.deps.grpc.loadProto(PROTO)) as unknown as {
      greeter: { Greeter: { service: Greeter } };
    };
    this.deps.grpc.addService(pkg.greeter.Greeter.service, { SayHello: sayHello });
  }
}

@Flavor()
class BenchFlavor {
  @Embed() local = new LocalFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() greeter = new GreeterPlugin();
  inject(): void {
    this.grpc.deps = { status: this.local.statusCheck, metrics: { registry: new Registry() } };
    this.greeter.deps = { grpc: this.grpc };
  }
}

/** Prints the port; on SIGUSR1 restarts the CPU count; on SIGTERM prints the CPU spent and stops. */
function announce(port: number, stop: () => void): void {
  let since = process.cpuUsage();
  process.on('SIGUSR1', () => (since = process.cpuUsage()));
  console.log(`port ${port}`);
  process.once('SIGTERM', () => {
    const { user, system } = process.cpuUsage(since);
    console.log(`cpu ${user + system}`);
    process.stdin.destroy();
    stop();
  });
  process.stdin.resume();
  process.stdin.once('end', () => process.exit(0));
}

async function serve(kind: string): Promise<void> {
  if (kind === 'bare') {
    const server = new grpc.Server();
    server.addService(loadGreeter(), { SayHello: sayHello });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    announce(port, () => server.forceShutdown());
  } else {
    const app = new BenchFlavor();
    const agent = new Agent(app, {
      name: 'bench',
      env: {},
      config: { grpc: { port: 0 } },
      log: { level: 'error' },
    });
    await agent.start();
    announce(app.grpc.address().port, () => void agent.stop());
  }
}

/** Calls completed during `seconds` with CONCURRENCY calls kept in flight. */
async function load(client: GreeterClient, seconds: number) {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const worker = async () => {
    while (Date.now() < deadline) {
      await new Promise<void>((resolve) =>
        (client.SayHello as (r: Hello, cb: (e: unknown) => void) => void).call(
          client,
          { name: 'bench' },
          (err) => {
            if (err) failed++;
            else done++;
            resolve();
          },
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { done, failed };
}

/** Calls/s and server CPU µs per call of one server. */
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
  const Client = grpc.makeGenericClientConstructor(loadGreeter(), 'Greeter');
  const client = new Client(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as Parameters<typeof load>[0];
  try {
    await load(client, WARM_UP_SECONDS);
    child.kill('SIGUSR1');
    const { done, failed } = await load(client, SECONDS);
    if (failed > 0) throw new Error(`${kind}: ${failed} calls failed`);
    child.kill('SIGTERM');
    await once(child, 'exit');
    const cpu = Number(/cpu (\d+)/.exec(out)?.[1] ?? NaN);
    return { rate: done / SECONDS, cpu: cpu / done };
  } finally {
    client.close();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!);
} else {
  const bare: Array<{ rate: number; cpu: number }> = [];
  const plugin: Array<{ rate: number; cpu: number }> = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await measure('bare'));
    plugin.push(await measure('plugin'));
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const show = (name: string, runs: Array<{ rate: number; cpu: number }>) =>
    console.log(
      `${name} ${runs.map((r) => r.rate.toFixed(0)).join(', ')} calls/s (mean ${mean(runs.map((r) => r.rate)).toFixed(0)}); ` +
        `server CPU ${mean(runs.map((r) => r.cpu)).toFixed(1)} µs/call`,
    );
  show('bare grpc-js:', bare);
  show('gRPC plugin: ', plugin);
  const rateShare = (100 * mean(plugin.map((r) => r.rate))) / mean(bare.map((r) => r.rate));
  const cpuShare = (100 * mean(bare.map((r) => r.cpu))) / mean(plugin.map((r) => r.cpu));
  console.log(
    `gRPC plugin / bare grpc-js: ${rateShare.toFixed(1)}% of the calls/s (target >= 90%)`,
  );
  console.log(`bare grpc-js CPU per call / the plugin's: ${cpuShare.toFixed(1)}%`);
}
