import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Agent, Embed, Flavor, Plug, type InitContext, type Plugin } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import * as grpc from '@grpc/grpc-js';
import { LocalFlavor } from '../flavors/local/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { ErrorReportingPlugin } from '../plugins/error-reporting/index.js';
import { GrpcPlugin } from '../plugins/grpc/index.js';
import { call, codeOf, greeterClient, GreeterService } from './helpers/grpc.js';

interface Envelope {
  header: Record<string, unknown>;
  items: Array<{ header: { type: string }; payload: Record<string, unknown> }>;
  raw: string;
}

/** A Sentry endpoint on loopback that decodes envelopes; `answer` decides each reply. */
async function sentryServer(answer: (res: ServerResponse) => void = (res) => res.end('{}')) {
  const envelopes: Envelope[] = [];
  const waiters: Array<() => void> = [];
  const open = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      const [header, ...rest] = raw.split('\n').filter((l) => l.trim() !== '');
      const items: Envelope['items'] = [];
      for (let i = 0; i + 1 < rest.length; i += 2)
        items.push({ header: JSON.parse(rest[i]!), payload: JSON.parse(rest[i + 1]!) });
      envelopes.push({ header: JSON.parse(header ?? '{}'), items, raw });
      waiters.splice(0).forEach((w) => w());
      open.add(res);
      res.on('close', () => open.delete(res));
      answer(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  onTestFinished(async () => {
    for (const res of open) res.destroy();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  const events = () =>
    envelopes.flatMap((e) =>
      e.items.filter((i) => i.header.type === 'event').map((i) => i.payload),
    );
  return {
    dsn: `http://publickey1234@127.0.0.1:${port}/42`,
    envelopes,
    events,
    async received(n: number) {
      while (events().length < n) await new Promise<void>((r) => waiters.push(r));
    },
  };
}

/** Routes that fail, with a secret in reach. */
class FailingRoutes implements Plugin {
  deps!: { http: HttpHandlers };
  init(ctx: InitContext): void {
    this.deps.http.post('/orders/:id', () => {
      ctx.log.warn('order store is slow');
      throw new Error('order store failed');
    });
    this.deps.http.get('/ok', (_req, res) => void res.json({ ok: true }));
  }
}

@Flavor()
class ReportedFlavor {
  @Plug() errors = new ErrorReportingPlugin();
  @Embed() rpc = new RpcFlavor();
  @Plug() routes = new FailingRoutes();

  inject(): void {
    this.errors.deps = { http: this.rpc.http, logs: this.rpc.local.logs };
    this.routes.deps = { http: this.rpc.http };
  }
}

function reported(dsn: string | undefined, config: Record<string, unknown> = {}) {
  return testAgent(new ReportedFlavor(), {
    config: { errors: { ...(dsn ? { dsn } : {}), ...config } },
    agent: { name: 'shop', label: 'shop-1.4.2' },
  });
}

describe('error reporting', () => {
  it('is off without a DSN, and the service answers as usual', async () => {
    const t = await reported(undefined);
    expect(t.flavor.errors.enabled).toBe(false);
    expect((await t.request('POST', '/orders/7')).status).toBe(500);
  });

  it('reports an HTTP 5xx once, with route template, method, status and request id, scrubbed', async () => {
    const sentry = await sentryServer();
    const t = await reported(sentry.dsn);
    const res = await t.request('POST', '/orders/7?card=4111', {
      body: { card: '4111-1111' },
      headers: {
        authorization: 'Bearer very-secret-token',
        cookie: 'session=abc123',
        'x-request-id': 'req-42',
      },
    });
    expect(res.status).toBe(500);
    await sentry.received(1);
    await t.stop();
    const [event] = sentry.events();
    expect(sentry.events()).toHaveLength(1);
    expect(event).toMatchObject({
      message: 'HTTP 500 POST /orders/:id',
      level: 'error',
      release: 'shop-1.4.2',
      environment: 'shop-1.4.2',
      tags: {
        kind: 'http',
        method: 'POST',
        route: '/orders/:id',
        status: '500',
        request_id: 'req-42',
      },
    });
    const crumbs = (event?.breadcrumbs as Array<{ message: string; level: string }>) ?? [];
    expect(crumbs.map((c) => c.message)).toContain('order store is slow');
    const raw = sentry.envelopes.map((e) => e.raw).join('\n');
    for (const secret of ['very-secret-token', 'abc123', '4111', 'publickey1234@'])
      expect(raw).not.toContain(secret);
  });

  it('reports a failed start with the plugin and phase', async () => {
    const sentry = await sentryServer();
    @Flavor()
    class BrokenFlavor {
      @Plug() errors = new ErrorReportingPlugin();
      @Plug() db: Plugin = {
        init() {
          throw new Error('cannot reach db.internal:5432');
        },
      };
    }
    const agent = new Agent(new BrokenFlavor(), {
      name: 'shop',
      config: { errors: { dsn: sentry.dsn } },
      env: {},
    });
    await expect(agent.start()).rejects.toThrow(/db/);
    expect(sentry.events()).toHaveLength(1);
    const [event] = sentry.events();
    expect(event?.tags).toMatchObject({ kind: 'start', plugin: 'db', phase: 'init' });
    expect(JSON.stringify(event?.exception)).toContain('cannot reach db.internal:5432');
  });

  it('keeps to the rate limit setting', async () => {
    const sentry = await sentryServer();
    const t = await reported(sentry.dsn, { maxPerMinute: 2 });
    for (let i = 0; i < 5; i++) await t.request('POST', `/orders/${i}`);
    await t.stop();
    expect(sentry.events()).toHaveLength(2);
  });

  it('respects a 429 answer: nothing more is sent while the endpoint asks to wait', async () => {
    const sentry = await sentryServer((res) => {
      res.writeHead(429, { 'Retry-After': '60' });
      res.end();
    });
    const t = await reported(sentry.dsn);
    await t.request('POST', '/orders/1');
    await sentry.received(1);
    for (let i = 0; i < 3; i++) await t.request('POST', `/orders/${i}`);
    await t.stop();
    expect(sentry.events()).toHaveLength(1);
  });

  it('never slows a request nor holds the stop past the flush limit when the endpoint hangs', async () => {
    const sentry = await sentryServer(() => undefined);
    const t = await reported(sentry.dsn, { flushTimeout: 300 });
    const began = Date.now();
    expect((await t.request('POST', '/orders/1')).status).toBe(500);
    expect((await t.request('GET', '/ok')).status).toBe(200);
    await sentry.received(1);
    const requestsTook = Date.now() - began;
    const stopping = Date.now();
    await t.stop();
    expect(Date.now() - stopping).toBeLessThan(2_000);
    expect(requestsTook).toBeLessThan(2_000);
  });
});

@Flavor()
class ReportedGrpcFlavor {
  @Plug() errors = new ErrorReportingPlugin();
  @Embed() local = new LocalFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() greeter = new GreeterService();

  inject(): void {
    this.errors.deps = { grpc: this.grpc, logs: this.local.logs };
    this.grpc.deps = { status: this.local.statusCheck };
    this.greeter.deps = { grpc: this.grpc };
  }
}

describe('error reporting of gRPC calls', () => {
  async function served(dsn: string) {
    const t = await testAgent(new ReportedGrpcFlavor(), {
      config: { errors: { dsn }, grpc: { port: 0 } },
      agent: { name: 'shop', label: 'shop-1.4.2' },
    });
    const client = greeterClient(`127.0.0.1:${t.flavor.grpc.address().port}`);
    onTestFinished(() => client.close());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer grpc-secret-token');
    metadata.set('x-card', '4111-1111');
    const fail = (how: string) => codeOf(call(client.Fail, client, { how }, { metadata }));
    return { t, fail };
  }

  it('reports a handler that throws once: INTERNAL to the client, method and status in the report, no metadata', async () => {
    const sentry = await sentryServer();
    const { t, fail } = await served(sentry.dsn);
    expect(await fail('throw')).toBe(grpc.status.INTERNAL);
    await sentry.received(1);
    await t.stop();
    expect(sentry.events()).toHaveLength(1);
    const [event] = sentry.events();
    expect(event).toMatchObject({
      release: 'shop-1.4.2',
      tags: { kind: 'grpc', method: '/greeter.Greeter/Fail', status: 'INTERNAL' },
    });
    expect(JSON.stringify(event?.exception)).toContain('secret detail of a bug');
    const raw = sentry.envelopes.map((e) => e.raw).join('\n');
    for (const secret of ['grpc-secret-token', '4111', 'publickey1234@'])
      expect(raw).not.toContain(secret);
  });

  it('reports INTERNAL handed to the callback, a rejection and a thrown undefined; not other codes', async () => {
    const sentry = await sentryServer();
    const { t, fail } = await served(sentry.dsn);
    expect(await fail('status')).toBe(grpc.status.NOT_FOUND);
    expect(await fail('code')).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await fail('internal')).toBe(grpc.status.INTERNAL);
    expect(await fail('reject')).toBe(grpc.status.INTERNAL);
    expect(await fail('undefined')).toBe(grpc.status.INTERNAL);
    await sentry.received(3);
    await t.stop();
    const events = sentry.events();
    expect(events).toHaveLength(3);
    const messages = events.map((e) => JSON.stringify(e.exception)).join('\n');
    expect(messages).toContain('/greeter.Greeter/Fail failed with INTERNAL: store said no');
    expect(messages).toContain('rejected with a secret');
    expect(messages).toMatch(/Fail failed with INTERNAL"/);
  });
});
