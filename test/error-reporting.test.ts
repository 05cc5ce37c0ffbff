import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Agent, Embed, Flavor, Plug, type InitContext, type Plugin } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { ErrorReportingPlugin } from '../plugins/error-reporting/index.js';

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
