import { once } from 'node:events';
import { createServer, type IncomingMessage, request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES, type HttpEngine } from '../plugins/http/config.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { GrpcPlugin } from '../plugins/grpc/index.js';
import { TracingPlugin } from '../plugins/tracing/index.js';
import { call, greeterClient, GreeterService } from './helpers/grpc.js';
import { captureLines } from './helpers/recording.js';

/** The trace id of the span active in a route, or null. */
const activeTraceId = () => trace.getActiveSpan()?.spanContext().traceId ?? null;

/** Engine-neutral routes: a GET, a POST whose handler runs after its body is read, a failing one. */
class WorkRoutes implements Plugin {
  deps!: { http: HttpHandlers };
  init(): void {
    const { http } = this.deps;
    http.route('GET', '/work/:id', (_req, reply) => reply.json({ traceId: activeTraceId() }));
    http.route('POST', '/work', (req, reply) =>
      reply.json({ traceId: activeTraceId(), body: req.body }),
    );
    http.route('GET', '/broken', () => {
      throw new Error('broken');
    });
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() tracing = new TracingPlugin();
  @Plug() routes = new WorkRoutes();
  @Plug() greeter = new GreeterService();

  inject(): void {
    this.grpc.deps = { status: this.rpc.local.statusCheck };
    this.tracing.deps = { http: this.rpc.http, grpc: this.grpc };
    this.routes.deps = { http: this.rpc.http };
    this.greeter.deps = { grpc: this.grpc };
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.stop();
});

async function start(tracing: Record<string, unknown>, engine: HttpEngine = 'express') {
  const app = new App();
  const agent = new Agent(app, {
    name: 'svc',
    env: {},
    config: { http: { port: 0, engine }, grpc: { port: 0 }, tracing },
    log: { level: 'error', stream: captureLines().stream },
  });
  agents.push(agent);
  await agent.start();
  return { app, agent, base: `http://127.0.0.1:${app.rpc.http.address().port}` };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe.each(ENGINES)('tracing HTTP requests on engine %s', (engine) => {
  it('is off by default: no spans, a tracer that records nothing, requests untouched', async () => {
    const { app, base } = await start({}, engine);
    expect(app.tracing.enabled).toBe(false);
    expect(app.tracing.tracer().startSpan('x').isRecording()).toBe(false);
    const res = await fetch(`${base}/work/1`, { headers: { traceparent: TRACEPARENT } });
    expect(await res.json()).toEqual({ traceId: null });
    expect(app.tracing.finishedSpans()).toEqual([]);
  });

  const spanNamed = async (app: App, name: string) => {
    await expect.poll(() => app.tracing.finishedSpans().some((s) => s.name === name)).toBe(true);
    return app.tracing.finishedSpans().find((s) => s.name === name)!;
  };

  it('makes an HTTP request carrying traceparent a child span with the same trace id, active in the route', async () => {
    const { app, base } = await start({ enabled: true, exporter: 'memory' }, engine);
    const res = await fetch(`${base}/work/42?q=1`, { headers: { traceparent: TRACEPARENT } });
    expect(await res.json()).toEqual({ traceId: TRACE_ID });
    const span = await spanNamed(app, 'GET /work/:id');
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/work/42',
      'http.route': '/work/:id',
      'http.response.status_code': 200,
    });
  });

  it('keeps the span active in a route that runs after its JSON body is read', async () => {
    const { app, base } = await start({ enabled: true, exporter: 'memory' }, engine);
    const res = await fetch(`${base}/work`, {
      method: 'POST',
      headers: { traceparent: TRACEPARENT, 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    expect(await res.json()).toEqual({ traceId: TRACE_ID, body: { n: 1 } });
    expect((await spanNamed(app, 'POST /work')).spanContext().traceId).toBe(TRACE_ID);
    // a body that comes in after the headers, in two parts
    const req = request(`${base}/work`, {
      method: 'POST',
      headers: { traceparent: TRACEPARENT, 'content-type': 'application/json' },
    });
    req.write('{"n":');
    req.flushHeaders();
    await new Promise((resolve) => setTimeout(resolve, 50));
    req.end('2}');
    const [slow] = (await once(req, 'response')) as [IncomingMessage];
    let text = '';
    for await (const chunk of slow) text += String(chunk);
    expect(JSON.parse(text)).toEqual({ traceId: TRACE_ID, body: { n: 2 } });
  });

  it('marks a failed request as an error and traces requests no route takes, without a route', async () => {
    const { app, base } = await start({ enabled: true, exporter: 'memory' }, engine);
    expect((await fetch(`${base}/broken`)).status).toBe(500);
    const broken = await spanNamed(app, 'GET /broken');
    expect(broken.attributes['http.response.status_code']).toBe(500);
    expect(broken.status.code).toBe(2); // SpanStatusCode.ERROR
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    const unmatched = await spanNamed(app, 'GET');
    expect(unmatched.attributes).toMatchObject({
      'url.path': '/nowhere',
      'http.response.status_code': 404,
    });
    expect(unmatched.attributes['http.route']).toBeUndefined();
  });

  it('leaves routes registered before the tracing plugin untraced (probes, metrics)', async () => {
    const { app, base } = await start({ enabled: true, exporter: 'memory' }, engine);
    expect((await fetch(`${base}/readiness`)).status).toBe(200);
    await fetch(`${base}/work/1`);
    await spanNamed(app, 'GET /work/:id');
    const names = app.tracing.finishedSpans().map((s) => s.name);
    expect(names.filter((n) => n.startsWith('GET'))).toEqual(['GET /work/:id']);
  });
});

describe('tracing', () => {
  it('makes a gRPC call carrying traceparent a child span with the same trace id', async () => {
    const { app } = await start({ enabled: true, exporter: 'memory' });
    const client = greeterClient(`127.0.0.1:${app.grpc.address().port}`);
    const metadata = new grpc.Metadata();
    metadata.set('traceparent', TRACEPARENT);
    await call(client.SayHello, client, { name: 'Ada' }, { metadata });
    client.close();
    await expect
      .poll(() => app.tracing.finishedSpans().some((s) => s.name === 'greeter.Greeter/SayHello'))
      .toBe(true);
    const span = app.tracing.finishedSpans().find((s) => s.name === 'greeter.Greeter/SayHello')!;
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.attributes).toMatchObject({ 'rpc.system': 'grpc', 'rpc.grpc.status_code': 0 });
  });

  it('traces the start-up: a root span and one child per plugin call, named after the plugins', async () => {
    const { app } = await start({ enabled: true, exporter: 'memory' });
    const spans = app.tracing.finishedSpans();
    const root = spans.find((s) => s.name === 'start svc')!;
    expect(root).toBeDefined();
    const children = spans.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
    const names = children.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'init http',
        'init grpc',
        'init greeter',
        'afterInit http',
        'afterInit grpc',
      ]),
    );
    for (const child of children)
      expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
  });

  it('exports over OTLP/HTTP to the collector URL, flushed on stop', async () => {
    const bodies: Array<{ path: string | undefined; type: string | undefined }> = [];
    const collector = createServer((req, res) => {
      bodies.push({ path: req.url, type: req.headers['content-type'] });
      req.resume();
      req.on('end', () => res.end('{}'));
    }).listen(0, '127.0.0.1');
    await once(collector, 'listening');
    try {
      const url = `http://127.0.0.1:${(collector.address() as { port: number }).port}/v1/traces`;
      const { agent } = await start({ enabled: true, url });
      await agents.splice(agents.indexOf(agent), 1)[0]!.stop();
      expect(bodies.length).toBeGreaterThan(0);
      expect(bodies[0]!.path).toBe('/v1/traces');
    } finally {
      collector.close();
    }
  });
});
