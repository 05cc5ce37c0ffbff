import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES, type HttpEngine } from '../plugins/http/config.js';
import type { HttpHandlers, RouteHandler } from '../plugins/http/index.js';
import { deferred } from './helpers/deferred.js';
import { captureLines } from './helpers/recording.js';

/**
 * Routes on the server itself, and `/item/:id` ones: with engine express on a
 * router mounted under a prefix with a parameter, with engine fastify as routes.
 */
class ItemsPlugin implements Plugin {
  deps!: { http: HttpHandlers; engine: HttpEngine };
  readonly slow = deferred();
  readonly slowReached = deferred();
  init(): void {
    const { http } = this.deps;
    const echo: RouteHandler = (req, reply) => reply.json({ body: req.body });
    http.route('GET', '/slow', async (_req, reply) => {
      this.slowReached.resolve();
      await this.slow.promise;
      reply.json({ done: true });
    });
    http.route('GET', '/Users/:id', (req, reply) => reply.json({ id: req.params.id }));
    http.route('POST', '/echo', echo);
    http.route('POST', '/admin/echo', echo, { admin: true });
    if (this.deps.engine === 'express') {
      const items = http.router('/item/:id');
      items.get('/', (_req, res) => void res.json({ item: true }));
      items.post('/notes', (req, res) => void res.json({ body: req.body as unknown }));
    } else {
      http.route('GET', '/item/:id', (_req, reply) => reply.json({ item: true }));
      http.route('POST', '/item/:id/notes', echo);
    }
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() items = new ItemsPlugin();
  constructor(private readonly engine: HttpEngine) {}
  inject(): void {
    this.items.deps = { http: this.rpc.http, engine: this.engine };
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop().catch(() => undefined)));
});

describe.each(ENGINES)('on engine %s', (engine) => {
  async function started(http: Record<string, unknown> = {}) {
    const app = new App(engine);
    const log = captureLines();
    const agent = new Agent(app, {
      name: 'hardening',
      env: {},
      config: { http: { port: 0, engine, ...http } },
      log: { stream: log.stream, format: 'json', level: 'info' },
    });
    agents.push(agent);
    await agent.start();
    return { app, url: `http://127.0.0.1:${app.rpc.http.address().port}`, lines: log.lines };
  }

  const series = async (url: string) =>
    (await (await fetch(`${url}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('http_requests_total{'));

  /**
   * Sends `count` GETs over `width` keep-alive connections, each writing its share
   * at once (pipelined); the last request on each asks to close, so the server
   * ends the connection once every answer on it is out.
   */
  async function load(url: string, paths: (i: number) => string, count: number, width = 8) {
    const port = Number(new URL(url).port);
    await Promise.all(
      Array.from(
        { length: width },
        (_, lane) =>
          new Promise<void>((resolve, reject) => {
            let batch = '';
            for (let i = lane; i < count; i += width) {
              const last = i + width >= count ? 'connection: close\r\n' : '';
              batch += `GET ${paths(i)} HTTP/1.1\r\nhost: 127.0.0.1\r\n${last}\r\n`;
            }
            const socket = connect(port, '127.0.0.1', () => socket.write(batch));
            socket.on('error', reject).on('close', () => resolve());
            socket.resume();
          }),
      ),
    );
  }

  describe('route labels', () => {
    it('label by route template, also under router() mounts, case-normalised; 20,000 distinct URLs add no series', async () => {
      const { url } = await started();
      await load(url, (i) => [`/item/${i}`, `/users/${i}`, `/USERS/${i}`, `/nope/${i}`][i % 4]!, 8);
      const before = await series(url);
      expect(before.join('\n')).toContain('route="/item/:id"');
      expect(before.join('\n')).toContain('route="/users/:id"');
      expect(before.join('\n')).toContain('route="<unmatched>"');

      await load(
        url,
        (i) => [`/item/${i}`, `/Users/${i}x`, `/USERS/${i}`, `/nope/${i}/${i}`][i % 4]!,
        20_000,
      );
      const after = await series(url);
      // the /metrics scrape itself adds its own series once
      const routes = (lines: string[]) => lines.filter((l) => !l.includes('route="/metrics"'));
      expect(routes(after)).toHaveLength(routes(before).length);
      const answered = (lines: string[]) =>
        routes(lines).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      expect(answered(after) - answered(before)).toBe(20_000);
    }, 120_000);
  });

  describe('request bodies', () => {
    const post = (url: string, body: string, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json', ...headers },
      });

    it('are parsed only by routes that take one: unknown paths answer 404 without reading JSON', async () => {
      const { url } = await started();
      expect((await post(`${url}/unknown`, '{ not json')).status).toBe(404);
      expect(
        (await post(`${url}/unknown`, JSON.stringify({ big: 'x'.repeat(200_000) }))).status,
      ).toBe(404);
      const echo = await post(`${url}/echo`, JSON.stringify({ a: 1 }));
      expect(await echo.json()).toEqual({ body: { a: 1 } });
      const notes = await post(`${url}/item/7/notes`, JSON.stringify({ n: 2 }));
      expect(await notes.json()).toEqual({ body: { n: 2 } });
      expect((await post(`${url}/echo`, '{ not json')).status).toBe(400);
    });

    it('have a size limit (100 kB by default) and a nesting limit', async () => {
      const { url } = await started();
      expect((await post(`${url}/echo`, JSON.stringify({ big: 'x'.repeat(120_000) }))).status).toBe(
        413,
      );
      const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
      expect((await post(`${url}/echo`, nested(32))).status).toBe(200);
      const deep = await post(`${url}/item/1/notes`, nested(33));
      expect(deep.status).toBe(400);
      expect(await deep.json()).toEqual({ error: 'the JSON body nests deeper than 32 levels' });
      expect((await post(`${url}/echo`, JSON.stringify({ s: '[[[[[[[['.repeat(10) }))).status).toBe(
        200,
      );
    });

    it('of admin routes are read only after the admin check', async () => {
      const { url } = await started({ adminToken: 'a-token' });
      expect((await post(`${url}/admin/echo`, '{ not json')).status).toBe(401);
      const ok = await post(`${url}/admin/echo`, '{"x":1}', { authorization: 'Bearer a-token' });
      expect(await ok.json()).toEqual({ body: { x: 1 } });
    });
  });

  describe('admin protection', () => {
    it('refuses an empty admin token at start, naming the setting', async () => {
      const agent = new Agent(new App(engine), {
        name: 'hardening',
        env: {},
        config: { http: { port: 0, adminToken: '' } },
      });
      await expect(agent.start()).rejects.toMatchObject({ code: 'FK_CONFIG' });
      await expect(agent.start()).rejects.toThrow(/adminToken/);
    });

    it('puts OPTIONS on admin routes through the guard', async () => {
      const { url } = await started({ adminToken: 'a-token' });
      expect((await fetch(`${url}/log/list`, { method: 'OPTIONS' })).status).toBe(401);
      const allowed = await fetch(`${url}/log/list`, {
        method: 'OPTIONS',
        headers: { authorization: 'Bearer a-token' },
      });
      expect(allowed.status).toBe(200);
      expect(allowed.headers.get('allow')).toBe(engine === 'express' ? 'GET, HEAD' : 'GET');
    });

    it('warns when it listens beyond loopback without a token', async () => {
      const { lines } = await started({ host: '0.0.0.0' });
      expect(
        lines
          .map((l) => JSON.parse(l) as { level: string; message: string })
          .some((l) => l.level === 'warn' && /without an admin token/.test(String(l.message))),
      ).toBe(true);
    });

    it('lets the log manager set levels of existing loggers only', async () => {
      const { url } = await started();
      const names = async () =>
        ((await (await fetch(`${url}/log/list`)).json()) as Array<{ name: string }>).length;
      const count = await names();
      for (let i = 0; i < 50; i++) {
        expect((await fetch(`${url}/log/new-${i}/debug`, { method: 'PUT' })).status).toBe(404);
      }
      expect(await names()).toBe(count);
      expect((await fetch(`${url}/log/http/debug`, { method: 'PUT' })).status).toBe(200);
    });
  });

  describe('drain limit', () => {
    it('of 2^31 ms or more does not cut in-flight requests at once', async () => {
      const { app, url } = await started({ drainTimeout: 3e9 });
      const answer = fetch(`${url}/slow`);
      await app.items.slowReached.promise;
      const agent = agents.pop()!;
      const draining = new Promise<void>((resolve) =>
        agent.on(
          'phaseBegin',
          (e) => e.plugin === 'http' && e.phase === 'beforeClose' && resolve(),
        ),
      );
      const stopped = agent.stop();
      await draining;
      // a limit turned into 1 ms by setTimeout would have cut the connection well within this window
      await new Promise((r) => setTimeout(r, 30));
      app.items.slow.resolve();
      const res = await answer;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ done: true });
      await stopped;
    });

    it('that is negative is a ConfigError naming drainTimeout', async () => {
      const agent = new Agent(new App(engine), {
        name: 'hardening',
        env: {},
        config: { http: { port: 0, drainTimeout: -1 } },
      });
      await expect(agent.start()).rejects.toMatchObject({ code: 'FK_CONFIG' });
    });
  });
});
