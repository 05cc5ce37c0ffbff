// Unary calls/s of SayHello served through the gRPC plugin (metrics and log
// interceptors on, health and reflection added) against a bare @grpc/grpc-js
// server with the same handler, measured in the same run. Each server runs in
// its own child process; the grpc-js client in this one keeps CONCURRENCY calls
// in flight. Server CPU per call is printed too, since on a small machine the
// client may be the bottleneck. Usage: npm run bench:grpc
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { Registry } from 'prom-client';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { LocalFlavor } from '../flavors/local/index.js';
import { type GrpcServices, GrpcPlugin } from '../plugins/grpc/index.js';
import { announce, report, type Run, startServer } from './compare.js';

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
        client.SayHello.call(client, { name: 'bench' }, (err) => {
          if (err) failed++;
          else done++;
          resolve();
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { done, failed };
}

/** Calls/s and server CPU µs per call of one server. */
async function measure(kind: string): Promise<Run> {
  const server = await startServer(fileURLToPath(import.meta.url), kind);
  const Client = grpc.makeGenericClientConstructor(loadGreeter(), 'Greeter');
  const client = new Client(
    `127.0.0.1:${server.port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as GreeterClient;
  try {
    await load(client, WARM_UP_SECONDS);
    server.restartCpu();
    const { done, failed } = await load(client, SECONDS);
    if (failed > 0) throw new Error(`${kind}: ${failed} calls failed`);
    return { rate: done / SECONDS, cpu: (await server.stop()) / done };
  } finally {
    client.close();
    await server.stop();
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3]!);
} else {
  const bare: Run[] = [];
  const plugin: Run[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    bare.push(await measure('bare'));
    plugin.push(await measure('plugin'));
  }
  report('call', { name: 'bare grpc-js', runs: bare }, { name: 'gRPC plugin', runs: plugin }, 90);
}
