import { Agent as HttpAgent, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { type Child, listeningUrl, runTs } from './helpers/child.js';
import { deferred } from './helpers/deferred.js';
import { eventually } from './helpers/eventually.js';
import { captureLines } from './helpers/recording.js';

const fixture = fileURLToPath(new URL('./fixtures/rpc-agent.ts', import.meta.url));

const children: Child[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.proc.exitCode === null) child.proc.kill();
});

/** The RPC-flavor agent of the fixture in its own process, stopped after the test at the latest. */
function rpcAgent(args: string[], env: Record<string, string>): Child {
  const child = runTs(fixture, args, { SHUT_HTTP_PORT: '0', ...env });
  children.push(child);
  return child;
}

describe('stopping under keep-alive load', () => {
  it('answers every request in flight across SIGTERM: 50 keep-alive connections, no error, exit 0', async () => {
    const child = rpcAgent([], { SHUT_HTTP_SHUTDOWN_DELAY: '4000', SHUT_LOG_FORMAT: 'json' });
    await child.waitFor(/started in/);
    const url = listeningUrl(child);

    let load!: autocannon.Instance;
    const result = new Promise<autocannon.Result>((resolve, reject) => {
      load = autocannon(
        // the load stops within one sample (100 ms) once told to
        { url: `${url}/work`, connections: 50, duration: 60, sampleInt: 100 },
        (err, done) => (err ? reject(err as Error) : resolve(done)),
      );
    });
    onTestFinished(() => load.stop());
    const failures: string[] = [];
    load.on('reqError', (err: NodeJS.ErrnoException) => failures.push(err.code ?? err.message));
    let answered = 0;
    load.on('response', () => answered++);
    await eventually(() => answered >= 1_000, 20_000);

    child.proc.kill('SIGTERM');
    // what a load balancer does: take the instance out once its readiness fails
    let readiness = 200;
    while (readiness === 200) {
      readiness = (await fetch(`${url}/readiness`)).status;
    }
    // still serving: a request on a new connection is answered while the delay runs
    const during = await fetch(`${url}/work`);
    load.stop();
    const { errors, timeouts, non2xx, ...counts } = await result;
    const { code } = await child.exited;

    expect(readiness).toBe(503);
    expect(failures).toEqual([]);
    expect({ errors, timeouts, non2xx }).toEqual({ errors: 0, timeouts: 0, non2xx: 0 });
    expect(counts['2xx']).toBeGreaterThan(1_000);
    expect(during.status).toBe(200);
    expect(child.output()).not.toMatch(/cut off/);
    expect(code).toBe(0);
  }, 60_000);
});

describe('stopping with a shutdownDelay longer than the call limit', () => {
  it('ends the delay when beforeClose times out, so that nothing keeps the process alive', async () => {
    const child = rpcAgent(['300', 'stop'], { SHUT_HTTP_SHUTDOWN_DELAY: '60000' });
    const began = performance.now();
    const { code } = await child.exited;
    expect(child.output()).toMatch(/http beforeClose/);
    expect(child.output()).toContain('stopped');
    expect(code).toBe(0);
    expect(performance.now() - began).toBeLessThan(20_000);
  }, 30_000);
});

/** A route that answers when the test says; `/streamed` sends its headers first. */
class HeldPlugin implements Plugin {
  deps!: { http: HttpHandlers };
  readonly release = deferred();
  readonly reached = deferred();
  init(): void {
    const { http } = this.deps;
    http.get('/fast', (_req, res) => void res.json({ fast: true }));
    http.get('/held', async (_req, res) => {
      this.reached.resolve();
      await this.release.promise;
      res.json({ held: 'x'.repeat(100_000) });
    });
    http.get('/streamed', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first ');
      this.reached.resolve();
      await this.release.promise;
      res.end('last');
    });
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() held = new HeldPlugin();
  inject(): void {
    this.held.deps = { http: this.rpc.http };
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop().catch(() => undefined)));
});

async function started(http: Record<string, unknown> = {}) {
  const app = new App();
  const log = captureLines();
  const agent = new Agent(app, {
    name: 'shutdown',
    env: {},
    config: { http: { port: 0, ...http } },
    log: { stream: log.stream, level: 'warn' },
  });
  agents.push(agent);
  await agent.start();
  const drainBegins = new Promise<void>((resolve) =>
    agent.on('phaseBegin', (e) => e.plugin === 'http' && e.phase === 'beforeClose' && resolve()),
  );
  const url = `http://127.0.0.1:${app.rpc.http.address().port}`;
  return { app, agent, drainBegins, url, lines: log.lines };
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  socket: Socket;
  reused: boolean;
}

/** One GET through a keep-alive agent, with the whole body and the socket it went over. */
function get(url: string, agent: HttpAgent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          connection: res.headers.connection,
          body,
          socket: req.socket!,
          reused: req.reusedSocket,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const closed = (socket: Socket) =>
  new Promise<void>((resolve) =>
    socket.destroyed ? resolve() : socket.once('close', () => resolve()),
  );

describe('the drain, seen by a keep-alive client', () => {
  it('closes an idle keep-alive connection, and answers the request in flight in full with Connection: close', async () => {
    const { app, agent, drainBegins, url } = await started();
    const client = new HttpAgent({ keepAlive: true });
    const held = get(`${url}/held`, client);
    await app.held.reached.promise;
    const idle = await get(`${url}/fast`, client);
    expect(idle.connection).toBe('keep-alive');

    const stopping = agent.stop();
    await drainBegins;
    await closed(idle.socket);
    app.held.release.resolve();
    const answer = await held;
    expect(answer.status).toBe(200);
    expect(answer.connection).toBe('close');
    expect((JSON.parse(answer.body) as { held: string }).held).toHaveLength(100_000);
    await closed(answer.socket);
    await stopping;
    client.destroy();
  });

  it('answers a request sent on a keep-alive connection during the drain in full, with Connection: close', async () => {
    const { app, agent, drainBegins, url } = await started();
    // one connection: the next request goes over the same socket right after the first answer
    const client = new HttpAgent({ keepAlive: true, maxSockets: 1 });
    const streamed = get(`${url}/streamed`, client);
    await app.held.reached.promise;
    const stopping = agent.stop();
    await drainBegins;
    const next = get(`${url}/fast`, client);
    app.held.release.resolve();

    const first = await streamed;
    expect(first).toMatchObject({ status: 200, connection: 'keep-alive', body: 'first last' });
    const second = await next;
    expect(second).toMatchObject({ status: 200, connection: 'close' });
    expect(JSON.parse(second.body)).toEqual({ fast: true });
    expect(second.socket).toBe(first.socket);
    await stopping;
    client.destroy();
  });

  it('answers requests pipelined behind one in flight, closing only after the last', async () => {
    const { app, agent, drainBegins, url } = await started();
    const socket = connect(Number(new URL(url).port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
    const ended = closed(socket);
    const ask = (path: string) => `GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n`;
    socket.write(ask('/held') + ask('/fast'));
    await app.held.reached.promise;
    const stopping = agent.stop();
    await drainBegins;
    app.held.release.resolve();
    await ended;
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers.map((a) => a.split('\r\n')[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    expect(answers[0]).toContain('x'.repeat(100_000));
    expect(answers[1]).toMatch(/\{"fast":true\}$/);
    await stopping;
  });

  it('keeps serving for shutdownDelay with readiness 503, then refuses new connections', async () => {
    const { url, agent } = await started({ shutdownDelay: 300 });
    const client = new HttpAgent({ keepAlive: true });
    await get(`${url}/fast`, client);
    const stopping = agent.stop();
    const readiness = await get(`${url}/readiness`, client);
    expect(readiness).toMatchObject({ status: 503, reused: true });
    expect(JSON.parse(readiness.body)).toMatchObject({ state: 'stopping' });
    // a new connection is still accepted while the delay runs, and kept alive
    const fresh = await get(`${url}/fast`, new HttpAgent({ keepAlive: false }));
    expect(fresh.status).toBe(200);
    expect((await get(`${url}/fast`, client)).connection).toBe('keep-alive');
    await stopping;
    await expect(fetch(`${url}/fast`)).rejects.toMatchObject({
      cause: { code: 'ECONNREFUSED' },
    });
    client.destroy();
  });

  it('leaves an upgraded connection to its owner until the drain limit', async () => {
    const { app, agent, drainBegins, url } = await started({ drainTimeout: 400 });
    app.rpc.http.nodeServer()!.on('upgrade', (_req, socket: Socket) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n',
      );
    });
    const upgraded = await new Promise<Socket>((resolve, reject) =>
      request(url, { headers: { connection: 'upgrade', upgrade: 'echo' } })
        .on('upgrade', (_res, socket: Socket) => resolve(socket))
        .on('error', reject)
        .end(),
    );
    const began = performance.now();
    const stopping = agent.stop();
    await drainBegins;
    await closed(upgraded);
    // not closed as idle after the grace, only cut at the drain limit
    expect(performance.now() - began).toBeGreaterThan(350);
    await stopping;
  });

  it('cuts what is still open at drainTimeout and says so', async () => {
    const { app, agent, url, lines } = await started({ drainTimeout: 100 });
    const held = get(`${url}/held`, new HttpAgent({ keepAlive: true }));
    await app.held.reached.promise;
    await agent.stop();
    await expect(held).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(lines.join('\n')).toContain(
      '1 connection(s) still open after the drain limit were cut off',
    );
  });

  it('refuses a negative shutdownDelay with a ConfigError naming it', async () => {
    const agent = new Agent(new App(), {
      name: 'shutdown',
      env: {},
      config: { http: { port: 0, shutdownDelay: -5 } },
    });
    await expect(agent.start()).rejects.toMatchObject({
      code: 'FK_CONFIG',
      message: expect.stringContaining('shutdownDelay') as string,
    });
  });
});
