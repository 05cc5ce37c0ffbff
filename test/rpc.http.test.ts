import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  Agent,
  Embed,
  Flavor,
  type InitContext,
  Plug,
  type Plugin,
  PluginStartError,
} from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES } from '../plugins/http/config.js';
import { adminAccess, type HttpHandlers } from '../plugins/http/index.js';
import { type Deferred, deferred } from './helpers/deferred.js';
import { captureLines } from './helpers/recording.js';

class RoutesPlugin implements Plugin {
  deps!: { http: HttpHandlers };
  log?: InitContext['log'];
  init(ctx: InitContext): void {
    this.log = ctx.log;
    const { http } = this.deps;
    http.route('GET', '/hello', (req, reply) => reply.json({ hello: req.query.name ?? 'world' }));
    http.route('GET', '/users/:id', (req, reply) => reply.json({ id: req.params.id }));
    http.route('GET', '/boom', () => {
      throw new Error('sync failure with secret detail');
    });
    http.route('GET', '/reject', async () => {
      await Promise.resolve();
      throw new Error('async failure');
    });
    http.route('GET', '/teapot', () => {
      throw Object.assign(new Error('short and stout'), { status: 418 });
    });
    http.route('GET', '/throw-undefined', () => {
      throw undefined;
    });
    http.route('GET', '/debug', (_req, reply) => {
      this.log!.debug('debug line from routes');
      reply.json({ ok: true });
    });
  }
}

/** A plugin that holds a lifecycle phase until the test releases it. */
class HoldPlugin implements Plugin {
  readonly holds: Partial<Record<'init' | 'afterInit' | 'beforeClose', Deferred>> = {};
  readonly reached: Partial<Record<'init' | 'afterInit' | 'beforeClose', Deferred>> = {};
  hold(phase: 'init' | 'afterInit' | 'beforeClose'): {
    reached: Promise<void>;
    release: () => void;
  } {
    this.holds[phase] = deferred();
    this.reached[phase] = deferred();
    return { reached: this.reached[phase].promise, release: () => this.holds[phase]!.resolve() };
  }
  private async at(phase: 'init' | 'afterInit' | 'beforeClose'): Promise<void> {
    this.reached[phase]?.resolve();
    await this.holds[phase]?.promise;
  }
  init(): Promise<void> {
    return this.at('init');
  }
  afterInit(): Promise<void> {
    return this.at('afterInit');
  }
  beforeClose(): Promise<void> {
    return this.at('beforeClose');
  }
}

class FailingPlugin implements Plugin {
  init(): void {
    throw new Error('optional thing is down');
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() routes = new RoutesPlugin();
  @Plug() hold = new HoldPlugin();

  inject(): void {
    this.routes.deps = { http: this.rpc.http };
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop().catch(() => undefined)));
});

describe.each(ENGINES)('on engine %s', (engine) => {
  function makeAgent(app: object, http: Record<string, unknown> = {}, extra: object = {}) {
    const log = captureLines();
    const agent = new Agent(app, {
      name: 'rpc-test',
      env: {},
      config: { http: { port: 0, engine, ...http } },
      log: { stream: log.stream, format: 'json', level: 'info' },
      ...extra,
    });
    agents.push(agent);
    return { agent, lines: log.lines };
  }

  function urlOf(app: App): string {
    return `http://127.0.0.1:${app.rpc.http.address().port}`;
  }

  describe('http plugin', () => {
    it('answers routes registered by plugins only once the agent started', async () => {
      const app = new App();
      const { agent } = makeAgent(app);
      const held = app.hold.hold('init');
      const starting = agent.start();
      await held.reached;
      const early = await fetch(`${urlOf(app)}/hello`);
      expect(early.status).toBe(503);
      held.release();
      await starting;
      const res = await fetch(`${urlOf(app)}/hello?name=Ada`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ hello: 'Ada' });
    });

    it('fails the start naming the plugin, host and port when the port is in use', async () => {
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as { port: number }).port;
      try {
        const app = new App();
        const { agent } = makeAgent(app, { port });
        const error = await agent.start().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PluginStartError);
        expect(error).toMatchObject({ plugin: 'http', phase: 'init' });
        expect((error as Error).message).toContain(`127.0.0.1:${port} is already in use`);
      } finally {
        blocker.close();
      }
    });

    it('turns thrown and rejected handler errors into JSON 500s, logged by the http plugin', async () => {
      const app = new App();
      const { agent, lines } = makeAgent(app);
      await agent.start();
      for (const path of ['/boom', '/reject', '/throw-undefined']) {
        const res = await fetch(urlOf(app) + path);
        expect(res.status).toBe(500);
        expect(res.headers.get('content-type')).toContain('application/json');
        expect(await res.json()).toEqual({ error: 'internal server error' });
      }
      const teapot = await fetch(`${urlOf(app)}/teapot`);
      expect(teapot.status).toBe(418);
      expect(await teapot.json()).toEqual({ error: 'short and stout' });
      const logged = lines.map(
        (l) => JSON.parse(l) as { logger: string; level: string; message: string },
      );
      expect(
        logged.filter((l) => l.logger === 'http' && l.level === 'error').map((l) => l.message),
      ).toEqual([
        'GET /boom failed: sync failure with secret detail',
        'GET /reject failed: async failure',
        expect.stringMatching(/^GET \/throw-undefined failed: /),
      ]);
      expect((await fetch(`${urlOf(app)}/hello`)).status).toBe(200);
    });

    it('answers unknown routes with a JSON 404', async () => {
      const app = new App();
      const { agent } = makeAgent(app);
      await agent.start();
      const res = await fetch(`${urlOf(app)}/nowhere`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not found' });
    });

    it('lets every in-flight request finish on stop and refuses new connections', async () => {
      @Flavor()
      class SlowApp {
        @Embed() rpc = new RpcFlavor();
        @Plug() slow = new (class implements Plugin {
          deps!: { http: HttpHandlers };
          readonly release = deferred();
          entered = 0;
          readonly allEntered = deferred();
          init(): void {
            this.deps.http.route('GET', '/slow', async (_req, reply) => {
              if (++this.entered === N) this.allEntered.resolve();
              await this.release.promise;
              reply.json({ done: true });
            });
          }
        })();
        inject(): void {
          this.slow.deps = { http: this.rpc.http };
        }
      }
      const N = 25;
      const app = new SlowApp();
      const { agent } = makeAgent(app);
      await agent.start();
      const url = `http://127.0.0.1:${app.rpc.http.address().port}`;
      const responses = Array.from({ length: N }, () =>
        fetch(`${url}/slow`).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { done?: boolean },
        })),
      );
      await app.slow.allEntered.promise;
      const closing = deferred();
      agent.on('phaseBegin', ({ plugin, phase }) => {
        if (plugin === 'http' && phase === 'beforeClose') setImmediate(() => closing.resolve());
      });
      const stopping = agent.stop();
      await closing.promise;
      const refused = await fetch(`${url}/hello`).then(
        () => 'answered',
        (err: Error & { cause?: { code?: string } }) => err.cause?.code,
      );
      expect(refused).toBe('ECONNREFUSED');
      app.slow.release.resolve();
      const results = await Promise.all(responses);
      expect(results).toHaveLength(N);
      expect(results.every((r) => r.status === 200 && r.body.done === true)).toBe(true);
      await stopping;
    });
  });

  describe('probes', () => {
    it('reports starting, ok, degraded and stopping with Kubernetes semantics', async () => {
      @Flavor()
      class ProbeApp extends App {
        @Plug({ optional: true }) flaky = new FailingPlugin();
      }
      const app = new ProbeApp();
      const { agent } = makeAgent(app);
      const probe = async (path: string) => {
        const res = await fetch(urlOf(app) + path);
        return [res.status, ((await res.json()) as { state: string }).state] as const;
      };

      const afterInit = app.hold.hold('afterInit');
      const starting = agent.start();
      await afterInit.reached;
      expect(await probe('/readiness')).toEqual([503, 'starting']);
      expect(await probe('/liveness')).toEqual([200, 'starting']);
      afterInit.release();
      await starting;

      expect(await probe('/readiness')).toEqual([200, 'degraded']);
      expect(await probe('/liveness')).toEqual([200, 'degraded']);

      const beforeClose = app.hold.hold('beforeClose');
      const stopping = agent.stop();
      await beforeClose.reached;
      expect(await probe('/readiness')).toEqual([503, 'stopping']);
      beforeClose.release();
      await stopping;
    });

    it('reports ok when every plugin is up', async () => {
      const app = new App();
      const { agent } = makeAgent(app);
      await agent.start();
      const res = await fetch(`${urlOf(app)}/readiness`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ state: 'ok', plugins: { http: { state: 'ok' } } });
    });
  });

  describe('metrics', () => {
    it('serves process, HTTP and agent series in the Prometheus text format', async () => {
      const app = new App();
      const { agent } = makeAgent(app);
      await agent.start();
      await fetch(`${urlOf(app)}/users/7`);
      await fetch(`${urlOf(app)}/users/8`);
      await fetch(`${urlOf(app)}/nowhere`);
      const res = await fetch(`${urlOf(app)}/metrics`);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const samples = parseMetrics(await res.text());
      expect(samples.get('http_requests_total{method="GET",route="/users/:id",status="200"}')).toBe(
        2,
      );
      expect(
        samples.get('http_requests_total{method="GET",route="<unmatched>",status="404"}'),
      ).toBe(1);
      expect(
        samples.get(
          'http_request_duration_seconds_count{method="GET",route="/users/:id",status="200"}',
        ),
      ).toBe(2);
      expect(samples.get('flavorkit_plugin_init_seconds{plugin="http"}')).toBeGreaterThan(0);
      expect(samples.get('flavorkit_plugin_state{plugin="routes",state="ok"}')).toBe(1);
      expect(samples.get('flavorkit_agent_state{state="ok"}')).toBe(1);
      expect(samples.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(samples.has('nodejs_heap_size_used_bytes')).toBe(true);
    });
  });

  describe('log manager and admin protection', () => {
    it('lists loggers and changes a level over HTTP, taking effect at once', async () => {
      const app = new App();
      const { agent, lines } = makeAgent(app);
      await agent.start();
      await fetch(`${urlOf(app)}/debug`);
      expect(lines.some((l) => l.includes('debug line from routes'))).toBe(false);
      const put = await fetch(`${urlOf(app)}/log/routes/debug`, { method: 'PUT' });
      expect(await put.json()).toEqual({ logger: 'routes', level: 'debug' });
      await fetch(`${urlOf(app)}/debug`);
      expect(lines.some((l) => l.includes('debug line from routes'))).toBe(true);
      const list = (await (await fetch(`${urlOf(app)}/log/list`)).json()) as Array<{
        name: string;
        level: string;
      }>;
      expect(list).toContainEqual({ name: 'routes', level: 'debug' });
      const bad = await fetch(`${urlOf(app)}/log/routes/loud`, { method: 'PUT' });
      expect(bad.status).toBe(400);
    });

    it('requires the bearer token when one is configured; probes and metrics stay open', async () => {
      const app = new App();
      const { agent } = makeAgent(app, { adminToken: 's3cret-token' });
      await agent.start();
      const get = (path: string, token?: string) =>
        fetch(urlOf(app) + path, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
      expect((await get('/log/list')).status).toBe(401);
      expect((await get('/log/list', 'wrong')).status).toBe(403);
      expect((await get('/log/list', 's3cret-token')).status).toBe(200);
      expect((await get('/diagnostics.json')).status).toBe(401);
      expect((await get('/readiness')).status).toBe(200);
      expect((await get('/metrics')).status).toBe(200);
    });
  });
});

describe('admin access', () => {
  it('answers admin routes to loopback clients only when no token is configured', () => {
    expect(adminAccess('127.0.0.1', undefined, undefined)).toEqual({ allowed: true });
    expect(adminAccess('::1', undefined, undefined)).toEqual({ allowed: true });
    expect(adminAccess('::ffff:127.0.0.1', undefined, undefined)).toEqual({ allowed: true });
    expect(adminAccess('10.0.0.8', undefined, undefined)).toMatchObject({
      allowed: false,
      status: 403,
    });
    expect(adminAccess('::ffff:192.168.1.4', 'Bearer x', undefined)).toMatchObject({
      allowed: false,
    });
    expect(adminAccess('10.0.0.8', 'Bearer tok', 'tok')).toEqual({ allowed: true });
  });
});

/** `name{labels} value` lines into a map; comments skipped. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
