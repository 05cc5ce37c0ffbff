import { once } from 'node:events';
import { createServer } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { GrpcPlugin } from '../plugins/grpc/index.js';
import { TracingPlugin } from '../plugins/tracing/index.js';
import { call, greeterClient, GreeterService } from './helpers/grpc.js';
import { captureLines } from './helpers/recording.js';

class WorkRoutes implements Plugin {
  deps!: { http: HttpHandlers };
  init(): void {
    this.deps.http.get('/work/:id', (_req, res) => {
      const span = trace.getActiveSpan();
      res.json({ traceId: span?.spanContext().traceId ?? null });
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

async function start(tracing: Record<string, unknown>) {
  const app = new App();
  const agent = new Agent(app, {
    name: 'svc',
    env: {},
    config: { http: { port: 0 }, grpc: { port: 0 }, tracing },
    log: { level: 'error', stream: captureLines().stream },
  });
  agents.push(agent);
  await agent.start();
  return { app, agent, base: `http://127.0.0.1:${app.rpc.http.address().port}` };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe('tracing', () => {
  it('is off by default: no spans, a tracer that records nothing, requests untouched', async () => {
    const { app, base } = await start({});
    expect(app.tracing.enabled).toBe(false);
    expect(app.tracing.tracer().startSpan('x').isRecording()).toBe(false);
    const res = await fetch(`${base}/work/1`, { headers: { traceparent: TRACEPARENT } });
    expect(await res.json()).toEqual({ traceId: null });
    expect(app.tracing.finishedSpans()).toEqual([]);
  });

  it('makes an HTTP request carrying traceparent a child span with the same trace id, active in the route', async () => {
    const { app, base } = await start({ enabled: true, exporter: 'memory' });
    const res = await fetch(`${base}/work/42`, { headers: { traceparent: TRACEPARENT } });
    expect(await res.json()).toEqual({ traceId: TRACE_ID });
    await expect
      .poll(() => app.tracing.finishedSpans().some((s) => s.name === 'GET /work/:id'))
      .toBe(true);
    const span = app.tracing.finishedSpans().find((s) => s.name === 'GET /work/:id')!;
    expect(span.spanContext().traceId).toBe(TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(span.attributes).toMatchObject({
      'http.route': '/work/:id',
      'http.response.status_code': 200,
    });
  });

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
