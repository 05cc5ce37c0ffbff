import { once } from 'node:events';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { LocalFlavor } from '../flavors/local/index.js';
import { GrpcPlugin } from '../plugins/grpc/index.js';
import { call, codeOf, greeterClient, GreeterService, healthClient } from './helpers/grpc.js';
import { captureLines } from './helpers/recording.js';

/** A plugin standing for a database the greeter's health follows. */
class DatabasePlugin implements Plugin {
  init(): void {}
}

@Flavor()
class App {
  @Embed() local = new LocalFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() db = new DatabasePlugin();
  @Plug() greeter = new GreeterService('db');
  readonly registry = new Registry();

  inject(): void {
    this.grpc.deps = { status: this.local.statusCheck, metrics: { registry: this.registry } };
    this.greeter.deps = { grpc: this.grpc };
  }
}

const agents: Agent[] = [];
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const a of agents.splice(0)) await a.stop().catch(() => undefined);
});

async function start(grpcConfig: Record<string, unknown> = {}) {
  const app = new App();
  const logs = captureLines();
  const agent = new Agent(app, {
    name: 'svc',
    env: {},
    config: { grpc: { port: 0, ...grpcConfig } },
    log: { level: 'info', stream: logs.stream, format: 'json' },
  });
  agents.push(agent);
  await agent.start();
  const target = `127.0.0.1:${app.grpc.address().port}`;
  const greeter = greeterClient(target);
  const health = healthClient(target);
  clients.push(greeter, health);
  return { app, agent, target, greeter, health, logs: logs.lines };
}

describe('gRPC server', () => {
  it('answers unary and server-streaming calls from a service loaded from a .proto file', async () => {
    const { greeter } = await start();
    expect(await call(greeter.SayHello, greeter, { name: 'Ada' })).toEqual({
      message: 'Hello, Ada!',
    });
    const replies: string[] = [];
    const stream = greeter.StreamHellos({ name: 'Bo', count: 3 });
    stream.on('data', (r: { message: string }) => replies.push(r.message));
    await once(stream, 'end');
    expect(replies).toEqual(['Hello #1, Bo!', 'Hello #2, Bo!', 'Hello #3, Bo!']);
  });

  it('counts calls under the go-grpc-prometheus names and logs one line per failed call', async () => {
    const { app, greeter, logs } = await start();
    await call(greeter.SayHello, greeter, { name: 'a' });
    await call(greeter.SayHello, greeter, { name: 'b' });
    expect(await codeOf(call(greeter.Fail, greeter, { how: 'status' }))).toBe(
      grpc.status.NOT_FOUND,
    );
    const text = await app.registry.metrics();
    const labels = 'grpc_type="unary",grpc_service="greeter.Greeter",grpc_method="SayHello"';
    expect(text).toContain(`grpc_server_started_total{${labels}} 2`);
    expect(text).toContain(`grpc_server_handled_total{${labels},grpc_code="OK"} 2`);
    expect(text).toMatch(
      /grpc_server_handled_total\{[^}]*grpc_method="Fail",grpc_code="NotFound"\} 1/,
    );
    expect(text).toContain(`grpc_server_handling_seconds_count{${labels}} 2`);
    const failed = logs.filter((l) => l.includes('/greeter.Greeter/Fail'));
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(/NotFound: no such greeting/);
    expect(logs.filter((l) => l.includes('SayHello'))).toEqual([]);
  });

  it('turns throws and rejections of handlers into INTERNAL without details, and keeps serving', async () => {
    const { greeter, logs } = await start();
    for (const how of ['throw', 'undefined', 'reject']) {
      const err = await call(greeter.Fail, greeter, { how }).catch((e: grpc.ServiceError) => e);
      expect((err as grpc.ServiceError).code).toBe(grpc.status.INTERNAL);
      expect((err as grpc.ServiceError).details).toBe('internal error');
    }
    expect(await codeOf(call(greeter.Fail, greeter, { how: 'code' }))).toBe(
      grpc.status.INVALID_ARGUMENT,
    );
    expect(logs.some((l) => l.includes('secret detail of a bug'))).toBe(true);
    expect(await call(greeter.SayHello, greeter, { name: 'still' })).toEqual({
      message: 'Hello, still!',
    });
  });

  it('keeps the first answer of a handler that answers twice, or answers and then throws, and logs the bug', async () => {
    const { greeter, logs } = await start();
    expect(await call(greeter.Fail, greeter, { how: 'twice' }, { deadlineMs: 2_000 })).toEqual({
      message: 'first',
    });
    expect(await call(greeter.Fail, greeter, { how: 'answer-then-throw' })).toEqual({
      message: 'answered',
    });
    expect(logs.some((l) => l.includes('answered twice'))).toBe(true);
    expect(logs.some((l) => l.includes('a bug after the answer'))).toBe(true);
  });

  it('respects the deadline a client sets and counts it as DeadlineExceeded', async () => {
    const { app, greeter } = await start();
    const code = await codeOf(call(greeter.Slow, greeter, { ms: 5_000 }, { deadlineMs: 100 }));
    expect(code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await expect.poll(() => app.greeter.cancelled).toBe(1);
    expect(await app.registry.metrics()).toMatch(
      /grpc_method="Slow".*grpc_code="DeadlineExceeded"\} 1/,
    );
  });

  it('answers health Check for the agent, per service and per plugin; NOT_FOUND for unknown names', async () => {
    const { health } = await start();
    const check = (service: string) =>
      new Promise<string>((resolve, reject) =>
        health.Check({ service }, (err, reply) => (err ? reject(err) : resolve(reply!.status))),
      );
    expect(await check('')).toBe('SERVING');
    expect(await check('greeter.Greeter')).toBe('SERVING');
    expect(await check('db')).toBe('SERVING');
    expect(await codeOf(check('nope.Nothing'))).toBe(grpc.status.NOT_FOUND);
  });

  it('health Watch turns NOT_SERVING when a plugin fails, and SERVING again when it recovers', async () => {
    const { app, health } = await start();
    const watch = (service: string) => {
      const seen: string[] = [];
      const stream = health.Watch({ service });
      const waiters: Array<() => void> = [];
      stream.on('data', (r: { status: string }) => {
        seen.push(r.status);
        for (const w of waiters.splice(0)) w();
      });
      stream.on('error', () => undefined);
      const until = (n: number) =>
        new Promise<void>((resolve) => {
          if (seen.length >= n) resolve();
          else waiters.push(() => void (seen.length >= n ? resolve() : until(n).then(resolve)));
        });
      return { seen, until, stream };
    };
    const overall = watch('');
    const service = watch('greeter.Greeter');
    await Promise.all([overall.until(1), service.until(1)]);
    app.local.statusCheck.report('db', 'error', 'connection refused');
    await Promise.all([overall.until(2), service.until(2)]);
    app.local.statusCheck.report('db', 'ok');
    await Promise.all([overall.until(3), service.until(3)]);
    expect(overall.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    expect(service.seen).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']);
    overall.stream.cancel();
    service.stream.cancel();
  });

  it('lists its services through server reflection', async () => {
    const { target } = await start();
    const protoLoader = await import('@grpc/proto-loader');
    const definition = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [join(import.meta.dirname, '../node_modules/@grpc/reflection/build/proto')],
    });
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: {
        reflection: {
          v1: { ServerReflection: new (t: string, c: grpc.ChannelCredentials) => grpc.Client };
        };
      };
    };
    const client = new pkg.grpc.reflection.v1.ServerReflection(
      target,
      grpc.credentials.createInsecure(),
    );
    clients.push(client);
    const stream = (
      client as unknown as {
        ServerReflectionInfo(): grpc.ClientDuplexStream<
          object,
          { listServicesResponse: { service: Array<{ name: string }> } }
        >;
      }
    ).ServerReflectionInfo();
    stream.write({ listServices: '' });
    const [reply] = (await once(stream, 'data')) as [
      { listServicesResponse: { service: Array<{ name: string }> } },
    ];
    stream.end();
    expect(reply.listServicesResponse.service.map((s) => s.name)).toEqual(
      expect.arrayContaining(['greeter.Greeter', 'grpc.health.v1.Health']),
    );
  });

  it('refuses a message above maxMessageSize with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const { greeter } = await start({ maxMessageSize: 1024 });
    const big = call(greeter.SayHello, greeter, { name: 'x'.repeat(4096) });
    expect(await codeOf(big)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(await call(greeter.SayHello, greeter, { name: 'small' })).toEqual({
      message: 'Hello, small!',
    });
  });

  it('also listens on a Unix domain socket when configured', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'grpc-uds-'));
    try {
      const socket = join(dir, 'grpc.sock');
      await start({ socket });
      const client = greeterClient(`unix:${socket}`);
      clients.push(client);
      expect(await call(client.SayHello, client, { name: 'uds' })).toEqual({
        message: 'Hello, uds!',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the start naming host and port when the port is in use', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const agent = new Agent(new App(), {
        name: 'svc',
        env: {},
        config: { grpc: { port } },
        log: { level: 'error', stream: captureLines().stream },
      });
      await expect(agent.start()).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${port} is already in use`),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('gRPC server stop', () => {
  it('lets every in-flight call finish when stopping under load: zero failed calls', async () => {
    const { app, agent, greeter } = await start();
    const calls = Array.from({ length: 40 }, (_, i) =>
      call(greeter.Slow, greeter, { ms: 150 + i * 5 }),
    );
    await app.greeter.whenRunning(40);
    const stopped = agent.stop();
    const results = await Promise.allSettled(calls);
    await stopped;
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(app.greeter.cancelled).toBe(0);
    expect(
      await codeOf(call(greeter.SayHello, greeter, { name: 'late' }, { deadlineMs: 500 })),
    ).not.toBe(grpc.status.OK);
  });

  it('cancels calls still running after drainTimeout, and health watchers see NOT_SERVING', async () => {
    const { app, agent, greeter, health } = await start({ drainTimeout: 200 });
    const watch = health.Watch({ service: '' });
    const seen: string[] = [];
    watch.on('data', (r: { status: string }) => seen.push(r.status));
    watch.on('error', () => undefined);
    const ended = once(watch, 'end');
    await new Promise((resolve) => watch.once('data', resolve));
    const hanging = codeOf(call(greeter.Slow, greeter, { ms: 60_000 }));
    await app.greeter.whenRunning(1);
    const began = Date.now();
    await agent.stop();
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(await hanging).not.toBe(grpc.status.OK);
    await expect.poll(() => app.greeter.cancelled).toBe(1);
    await ended;
    expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
  });
});
