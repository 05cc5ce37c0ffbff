import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES, type HttpEngine } from '../plugins/http/config.js';
import type { HttpPlugin } from '../plugins/http/index.js';
import { captureLines } from './helpers/recording.js';

/** Routes through route(), and one on the engine's own object (the express app, the Fastify instance). */
class ReplyPlugin implements Plugin {
  deps!: { http: HttpPlugin; engine: HttpEngine };
  init(): void {
    const { http, engine } = this.deps;
    http.route('GET', '/stream', (_req, reply) => {
      const res = reply.status(201).header('x-kind', 'stream').raw;
      res.write('a');
      res.end('b');
    });
    http.route('GET', '/text', (_req, reply) => reply.send('hi'));
    http.route('GET', '/bytes', (_req, reply) =>
      reply.send(new Uint8Array([1, 2, 3]), 'application/x-test'),
    );
    http.route('PATCH', '/echo/:id', (req, reply) =>
      reply.json({ id: req.params.id, q: req.query.q, body: req.body, method: req.method }),
    );
    if (engine === 'express') http.app.get('/own/:x', (_req, res) => void res.send('own'));
    else http.fastify.get('/own/:x', (_req, reply) => void reply.send('own'));
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() replies = new ReplyPlugin();
  constructor(private readonly engine: HttpEngine) {}
  inject(): void {
    this.replies.deps = { http: this.rpc.http, engine: this.engine };
  }
}

/** Which hooks a request passed, by Node's request. */
const passed = new WeakMap<IncomingMessage, string[]>();
const pass = (req: IncomingMessage, name: string) =>
  passed.set(req, [...(passed.get(req) ?? []), name]);
const context = new AsyncLocalStorage<string>();

/** A route before any hook, three hooks (one answers, one fails, one sets a context), routes after them. */
class HookPlugin implements Plugin {
  deps!: { http: HttpPlugin; engine: HttpEngine };
  init(): void {
    const { http, engine } = this.deps;
    const seen = (raw: IncomingMessage) => ({
      passed: passed.get(raw) ?? [],
      context: context.getStore(),
    });
    http.route('GET', '/before', (req, reply) => reply.json(seen(req.raw)));
    http.hook((req, reply, next) => {
      pass(req.raw, 'first');
      reply.header('x-hooked', req.route() ?? 'not yet');
      next();
    });
    http.hook(async (req, reply, next) => {
      pass(req.raw, 'second');
      await new Promise((resolve) => setImmediate(resolve));
      if (req.url === '/stop?now=1') return reply.status(418).json({ stopped: req.method });
      if (req.url === '/throw') throw new Error('hook failed');
      if (req.url === '/reject') throw Object.assign(new Error('taken'), { status: 409 });
      next();
    });
    http.hook((req, _reply, next) => {
      pass(req.raw, 'context');
      context.run('set by a hook', next);
    });
    http.route('GET', '/after/:id', (req, reply) => reply.json(seen(req.raw)));
    http.route('POST', '/after/:id', (req, reply) =>
      reply.json({ ...seen(req.raw), body: req.body }),
    );
    if (engine === 'express') http.app.get('/own', (req, res) => void res.json(seen(req)));
    else http.fastify.get('/own', (request, reply) => void reply.send(seen(request.raw)));
  }
}

@Flavor()
class HookApp {
  @Embed() rpc = new RpcFlavor();
  @Plug() hooks = new HookPlugin();
  constructor(private readonly engine: HttpEngine) {}
  inject(): void {
    this.hooks.deps = { http: this.rpc.http, engine: this.engine };
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop().catch(() => undefined)));
});

function agentOf(root: object, http: Record<string, unknown>) {
  const agent = new Agent(root, {
    name: 'engines',
    env: {},
    config: { http: { port: 0, ...http } },
    log: { stream: captureLines().stream, level: 'error' },
  });
  agents.push(agent);
  return agent;
}

describe('the engine setting', () => {
  it('refuses an unknown engine and a body limit that is no size, naming the settings', async () => {
    const error = await agentOf(new App('express'), { engine: 'koa', bodyLimit: 'lots' })
      .start()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FK_CONFIG' });
    expect((error as Error).message).toMatch(/engine must be one of express, fastify/);
    expect((error as Error).message).toMatch(/bodyLimit must be a size/);
  });
});

describe.each(ENGINES)('on engine %s', (engine) => {
  async function started(http: Record<string, unknown> = {}) {
    const app = new App(engine);
    await agentOf(app, { engine, ...http }).start();
    return { app, url: `http://127.0.0.1:${app.rpc.http.address().port}` };
  }

  it('serves a route registered before the http plugin chose its engine', async () => {
    const app = new App(engine);
    app.rpc.http.route('GET', '/early', (_req, reply) => reply.send('early'));
    await agentOf(app, { engine }).start();
    const res = await fetch(`http://127.0.0.1:${app.rpc.http.address().port}/early`);
    expect(await res.text()).toBe('early');
  });

  it('streams through reply.raw, keeping the status and headers set before', async () => {
    const { url } = await started();
    const res = await fetch(`${url}/stream`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-kind')).toBe('stream');
    expect(await res.text()).toBe('ab');
  });

  it('sends text and bytes with their content types, and hands routes params, query and body', async () => {
    const { url } = await started();
    const text = await fetch(`${url}/text`);
    expect(text.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await text.text()).toBe('hi');
    const bytes = await fetch(`${url}/bytes`);
    expect(bytes.headers.get('content-type')).toBe('application/x-test');
    expect([...new Uint8Array(await bytes.arrayBuffer())]).toEqual([1, 2, 3]);
    const echo = await fetch(`${url}/echo/7?q=a&q=b`, {
      method: 'PATCH',
      body: '{"x":[1]}',
      headers: { 'content-type': 'application/json' },
    });
    expect(await echo.json()).toEqual({
      id: '7',
      q: ['a', 'b'],
      body: { x: [1] },
      method: 'PATCH',
    });
    const plain = await fetch(`${url}/echo/8`, { method: 'PATCH', body: 'not json' });
    expect(await plain.json()).toEqual({ id: '8', method: 'PATCH' });
    const long = 'x'.repeat(1000);
    const longParam = await fetch(`${url}/echo/${long}`, { method: 'PATCH' });
    expect(await longParam.json()).toEqual({ id: long, method: 'PATCH' });
    const badUrl = await fetch(`${url}/echo/%zz`, { method: 'PATCH' });
    expect(badUrl.status).toBe(400);
    expect(await badUrl.json()).toEqual({ error: expect.any(String) });
  });

  it('takes only an object or an array as a JSON body, as express does', async () => {
    const { url } = await started();
    const patch = (body: string) =>
      fetch(`${url}/echo/9`, {
        method: 'PATCH',
        body,
        headers: { 'content-type': 'application/json' },
      });
    for (const body of ['null', ' "text"', '3', 'true']) {
      const res = await patch(body);
      expect({ body, status: res.status, answer: await res.json() }).toEqual({
        body,
        status: 400,
        answer: { error: expect.any(String) as string },
      });
    }
    expect(await (await patch(' [1]')).json()).toMatchObject({ body: [1] });
  });

  it("labels and gates routes added on the engine's own object", async () => {
    const { url } = await started();
    expect(await (await fetch(`${url}/own/1`)).text()).toBe('own');
    await fetch(`${url}/own/2`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('http_requests_total{method="GET",route="/own/:x",status="200"} 2');
  });

  it('runs hooks in order for the routes added after them, in the context they set', async () => {
    const app = new HookApp(engine);
    await agentOf(app, { engine }).start();
    const url = `http://127.0.0.1:${app.rpc.http.address().port}`;
    const all = ['first', 'second', 'context'];
    const after = await fetch(`${url}/after/1`);
    expect(after.headers.get('x-hooked')).toBe('not yet');
    expect(await after.json()).toEqual({ passed: all, context: 'set by a hook' });
    const posted = await fetch(`${url}/after/2`, {
      method: 'POST',
      body: '{"n":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(await posted.json()).toEqual({ passed: all, context: 'set by a hook', body: { n: 1 } });
    expect(await (await fetch(`${url}/own`)).json()).toEqual({
      passed: all,
      context: 'set by a hook',
    });
    const before = await fetch(`${url}/before`);
    expect(before.headers.get('x-hooked')).toBeNull();
    expect(await before.json()).toEqual({ passed: [] });
    const unmatched = await fetch(`${url}/nowhere`);
    expect(unmatched.status).toBe(404);
    expect(unmatched.headers.get('x-hooked')).toBe('not yet');
  });

  it('lets a hook answer instead of the routes, and answers what a hook throws as a JSON error', async () => {
    const app = new HookApp(engine);
    await agentOf(app, { engine }).start();
    const url = `http://127.0.0.1:${app.rpc.http.address().port}`;
    const stopped = await fetch(`${url}/stop?now=1`);
    expect(stopped.status).toBe(418);
    expect(await stopped.json()).toEqual({ stopped: 'GET' });
    const thrown = await fetch(`${url}/throw`);
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toEqual({ error: 'internal server error' });
    const rejected = await fetch(`${url}/reject`);
    expect(rejected.status).toBe(409);
    expect(await rejected.json()).toEqual({ error: 'taken' });
  });

  it('admits admin requests the authorizer accepts, and falls back to the token', async () => {
    const { app, url } = await started({ adminToken: 'tok' });
    app.rpc.http.authorizeAdmin((header) => {
      if (header === 'Bearer broken') throw new Error('verifier down');
      return header === 'Bearer jwt-admin';
    });
    const status = async (token: string) =>
      (await fetch(`${url}/log/list`, { headers: { authorization: `Bearer ${token}` } })).status;
    expect(await status('jwt-admin')).toBe(200);
    expect(await status('tok')).toBe(200);
    expect(await status('other')).toBe(403);
    expect(await status('broken')).toBe(403);
  });
});

describe('engine fastify', () => {
  it('refuses express-style routes at start, naming route() and the plugin', async () => {
    @Flavor()
    class ExpressStyle {
      @Embed() rpc = new RpcFlavor();
      @Plug() legacy = new (class implements Plugin {
        deps!: { http: HttpPlugin };
        init(): void {
          this.deps.http.get('/old', (_req, res) => void res.send('old'));
        }
      })();
      inject(): void {
        this.legacy.deps = { http: this.rpc.http };
      }
    }
    const error = await agentOf(new ExpressStyle(), { engine: 'fastify' })
      .start()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'legacy' });
    expect((error as Error).message).toMatch(
      /http\.get\(\) takes express handlers.*http\.route\(\)/,
    );
  });

  it('refuses a route added once the agent serves, saying to register it in init', async () => {
    const { app } = await (async () => {
      const app = new App('fastify');
      await agentOf(app, { engine: 'fastify' }).start();
      return { app };
    })();
    expect(() => app.rpc.http.route('GET', '/late', (_req, reply) => reply.send('late'))).toThrow(
      /during init/,
    );
    expect(() => app.rpc.http.hook((_req, _reply, next) => next())).toThrow(
      /cannot add a hook.*during init/,
    );
    expect(() => app.rpc.http.app).toThrow(/engine fastify/);
  });
});
