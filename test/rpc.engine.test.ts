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

  it("labels and gates routes added on the engine's own object", async () => {
    const { url } = await started();
    expect(await (await fetch(`${url}/own/1`)).text()).toBe('own');
    await fetch(`${url}/own/2`);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('http_requests_total{method="GET",route="/own/:x",status="200"} 2');
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
    expect(() => app.rpc.http.app).toThrow(/engine fastify/);
  });
});
