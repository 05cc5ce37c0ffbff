import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES, type HttpEngine } from '../plugins/http/config.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { captureLines } from './helpers/recording.js';

/** Values thrown by hooks and routes that are no Error, by the path they are thrown at. */
const THROWN: Record<string, unknown> = {
  undefined: undefined,
  null: null,
  empty: '',
  zero: 0,
  false: false,
  route: 'route',
  router: 'router',
};

/** Hooks and routes that break the rules: next() twice, answering and next(), throwing odd values. */
class Misuse implements Plugin {
  deps!: { http: HttpHandlers };
  /** How often each route ran. */
  readonly runs = new Map<string, number>();
  init(): void {
    const { http } = this.deps;
    http.hook(async (req, reply, next) => {
      const [, kind, what] = req.url.split('/');
      if (kind === 'hook-throws') throw THROWN[what!];
      if (req.url === '/next-twice') {
        next();
        next();
      } else if (req.url === '/answer-and-next') {
        reply.status(401).json({ error: 'no' });
        next();
      } else if (req.url === '/next-then-reject') {
        next();
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error('the hook failed after next()');
      } else next();
    });
    const ran = (name: string) => this.runs.set(name, (this.runs.get(name) ?? 0) + 1);
    for (const path of ['/next-twice', '/answer-and-next', '/next-then-reject']) {
      http.route('GET', path, async (_req, reply) => {
        ran(path);
        await new Promise((resolve) => setTimeout(resolve, 20));
        reply.json({ ran: path });
      });
    }
    http.route('GET', '/hook-throws/:what', (_req, reply) => {
      ran('/hook-throws');
      reply.json({ ran: true });
    });
    http.route('GET', '/route-throws/:what', (req) => {
      throw THROWN[req.params.what!];
    });
    http.route('GET', '/answer-then-throw', (_req, reply) => {
      reply.json({ answered: true });
      throw new Error('failed after answering');
    });
    http.route('GET', '/answer-twice', (_req, reply) => {
      reply.json({ first: true });
      reply.json({ second: true });
    });
    http.route('GET', '/header/:kind', (req, reply) => {
      if (req.params.kind === 'crlf') reply.header('x-note', 'a\r\nset-cookie: session=stolen');
      else reply.header('bad name', 'x');
      reply.json({ sent: true });
    });
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() misuse = new Misuse();
  inject(): void {
    this.misuse.deps = { http: this.rpc.http };
  }
}

const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});

async function serve(engine: HttpEngine) {
  const app = new App();
  const agent = new Agent(app, {
    name: 'faults',
    env: {},
    config: { http: { port: 0, engine } },
    log: { stream: captureLines().stream, level: 'error' },
  });
  agents.push(agent);
  await agent.start();
  return { app, port: app.rpc.http.address().port };
}

/** Writes `text` on one connection and reads until the server closes it or `quietMs` pass without data. */
function exchange(
  port: number,
  text: string,
  quietMs = 300,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    let quiet = setTimeout(() => done(false), quietMs);
    const done = (closed: boolean) => {
      clearTimeout(quiet);
      socket.destroy();
      resolve({ text: received, closed });
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      clearTimeout(quiet);
      quiet = setTimeout(() => done(false), quietMs);
    });
    socket.on('close', () => done(true));
  });
}

describe.each(ENGINES)('on engine %s', (engine) => {
  it('runs the route once when a hook calls next() twice, and not at all when it answered', async () => {
    const { app, port } = await serve(engine);
    const url = `http://127.0.0.1:${port}`;
    const twice = await fetch(`${url}/next-twice`);
    expect({ status: twice.status, body: await twice.json() }).toEqual({
      status: 200,
      body: { ran: '/next-twice' },
    });
    const answered = await fetch(`${url}/answer-and-next`);
    expect({ status: answered.status, body: await answered.json() }).toEqual({
      status: 401,
      body: { error: 'no' },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(Object.fromEntries(app.misuse.runs)).toEqual({ '/next-twice': 1 });
  });

  it('leaves the answer to the route when a hook fails after letting the request on', async () => {
    const { port } = await serve(engine);
    const res = await fetch(`http://127.0.0.1:${port}/next-then-reject`);
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: { ran: '/next-then-reject' },
    });
  });

  it('answers every value a hook or route throws with a JSON 500, never passing the request on', async () => {
    const { app, port } = await serve(engine);
    for (const at of ['hook-throws', 'route-throws']) {
      for (const what of Object.keys(THROWN)) {
        const res = await fetch(`http://127.0.0.1:${port}/${at}/${what}`);
        expect({ at, what, status: res.status, body: await res.json() }).toEqual({
          at,
          what,
          status: 500,
          body: { error: 'internal server error' },
        });
      }
    }
    expect(app.misuse.runs.get('/hook-throws')).toBeUndefined();
  });

  it('keeps the connection of an answer sent in full when the route fails after it', async () => {
    const { port } = await serve(engine);
    for (const path of ['/answer-then-throw', '/answer-twice']) {
      const { text } = await exchange(
        port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /liveness HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect({ path, statuses: text.match(/HTTP\/1\.1 \d+/g) }).toEqual({
        path,
        statuses: ['HTTP/1.1 200', 'HTTP/1.1 200'],
      });
    }
  });

  it('refuses a header with a line break or a bad name with the JSON 500 of a thrown error', async () => {
    const { port } = await serve(engine);
    for (const kind of ['crlf', 'name']) {
      const res = await fetch(`http://127.0.0.1:${port}/header/${kind}`);
      expect({ kind, status: res.status, body: await res.json() }).toEqual({
        kind,
        status: 500,
        body: { error: 'internal server error' },
      });
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });
});
