import { request } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { ENGINES, type HttpEngine } from '../plugins/http/config.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { type AccessRule, type Authenticator, AuthPlugin } from '../plugins/auth/index.js';
import { GrpcPlugin } from '../plugins/grpc/index.js';
import { call, codeOf, greeterClient, GreeterService, healthClient } from './helpers/grpc.js';
import { captureLines } from './helpers/recording.js';

const SECRET = 'access-test-secret-of-at-least-32-chars';
const ADMIN_TOKEN = 'static-admin-token';

/** On engine express a router behind the middleware; then engine-neutral routes behind the guard hook. */
class ApiRoutes implements Plugin {
  deps!: { http: HttpHandlers; auth: Authenticator; engine: HttpEngine };
  init(): void {
    const { http, auth, engine } = this.deps;
    if (engine === 'express') {
      const legacy = http.router('/legacy');
      legacy.use(auth.middleware);
      legacy.get('/orders', (_req, res) => void res.json({ orders: [] }));
      legacy.get('/me', (_req, res) => void res.json({ sub: auth.claimsOf(res)?.sub }));
    }
    http.hook(auth.guard);
    http.route('GET', '/api/public', (_req, reply) => reply.json({ public: true }));
    http.route('GET', '/api/orders', (_req, reply) => reply.json({ orders: [] }));
    http.route('POST', '/api/orders', (_req, reply) => reply.status(201).json({ created: true }));
    http.route('GET', '/api/me', (req, reply) => reply.json({ sub: auth.claimsOf(req)?.sub }));
    http.route('GET', '/api/raw-me', (req, reply) =>
      reply.json({ sub: auth.claimsOf(req.raw)?.sub }),
    );
  }
}

@Flavor()
class App {
  constructor(private readonly engine: HttpEngine) {}
  @Embed() rpc = new RpcFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() auth = new AuthPlugin();
  @Plug() greeter = new GreeterService();
  @Plug() api = new ApiRoutes();

  inject(): void {
    this.grpc.deps = { status: this.rpc.local.statusCheck };
    this.auth.deps = { http: this.rpc.http, grpc: this.grpc };
    this.greeter.deps = { grpc: this.grpc };
    this.api.deps = { http: this.rpc.http, auth: this.auth, engine: this.engine };
  }
}

const RULES: AccessRule[] = [
  { match: 'GET /api/public', public: true },
  { match: 'GET /api/orders', roles: ['clerk', 'admin'] },
  { match: 'POST /api/orders', scopes: ['orders:write'] },
  { match: 'GET /legacy/orders', roles: ['clerk'] },
  { match: '/greeter.Greeter/SayHello', roles: ['greeter'] },
];

const agents: Agent[] = [];

/** An agent serving the rules on an engine, stopped after all tests. */
async function serve(engine: HttpEngine) {
  const app = new App(engine);
  const agent = new Agent(app, {
    name: 'svc',
    env: {},
    config: {
      http: { port: 0, adminToken: ADMIN_TOKEN, engine },
      grpc: { port: 0 },
      auth: { secret: SECRET, rules: RULES },
    },
    log: { level: 'error', stream: captureLines().stream },
  });
  agents.push(agent);
  await agent.start();
  return { app, base: `http://127.0.0.1:${app.rpc.http.address().port}` };
}

let app: App;
let base: string;
let greeter: ReturnType<typeof greeterClient>;

beforeAll(async () => {
  ({ app, base } = await serve('express'));
  greeter = greeterClient(`127.0.0.1:${app.grpc.address().port}`);
});
afterAll(async () => {
  greeter.close();
  for (const agent of agents.splice(0)) await agent.stop();
});

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ sub: 'ada', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

async function get(path: string, bearer?: string, method = 'GET', at = base) {
  const res = await fetch(`${at}${path}`, {
    method,
    headers: bearer === undefined ? {} : { authorization: `Bearer ${bearer}` },
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    headers: res.headers,
  };
}

function withToken(bearer: string): { metadata: grpc.Metadata } {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${bearer}`);
  return { metadata };
}

describe.each(ENGINES)('access rules over HTTP on engine %s', (engine) => {
  let at: string;
  beforeAll(async () => {
    at = engine === 'express' ? base : (await serve(engine)).base;
  });
  const call = (path: string, bearer?: string, method = 'GET') => get(path, bearer, method, at);

  it('answers 401 JSON with WWW-Authenticate for a missing or bad token, never a stack', async () => {
    const missing = await call('/api/orders');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body).toEqual({ error: expect.stringMatching(/Bearer/) });
    const bad = await call('/api/orders', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA');
    expect(bad.status).toBe(401);
    expect(JSON.stringify(bad.body)).not.toMatch(/\bat \S+:\d+/);
  });

  it('answers 403 for a valid token without the role or scope, and lets the right token in', async () => {
    expect((await call('/api/orders', await token({ roles: ['guest'] }))).status).toBe(403);
    expect((await call('/api/orders', await token({ roles: ['clerk'] }))).status).toBe(200);
    expect((await call('/api/orders', await token({ scope: 'orders:read' }), 'POST')).status).toBe(
      403,
    );
    expect(
      (await call('/api/orders', await token({ scope: 'orders:read orders:write' }), 'POST'))
        .status,
    ).toBe(201);
  });

  it('serves public routes without a token and hands the claims to handlers', async () => {
    expect((await call('/api/public')).status).toBe(200);
    expect(await call('/api/me', await token({ sub: 'bo' }))).toMatchObject({
      status: 200,
      body: { sub: 'bo' },
    });
    expect(await call('/api/raw-me', await token({ sub: 'cy' }))).toMatchObject({
      status: 200,
      body: { sub: 'cy' },
    });
    expect((await call('/api/me')).status).toBe(401);
  });

  it('guards requests no route takes too, and not the routes registered before the hook', async () => {
    expect((await call('/api/nowhere')).status).toBe(401);
    expect(await call('/api/nowhere', await token({}))).toMatchObject({ status: 404 });
    expect((await call('/readiness')).status).toBe(200);
  });

  it('applies a rule to every spelling of the path the engine routes to the same route', async () => {
    const guest = await token({ roles: ['guest'] });
    for (const path of ['/API/Orders', '/api/orders/', '/api/%6Frders', '/api/%6frders/'])
      expect({ path, status: (await call(path, guest)).status }).toEqual({ path, status: 403 });
    const clerk = await token({ roles: ['clerk'] });
    expect((await call('/API/orders/', clerk)).status).toBe(200);
    expect((await call('/api/%zz', clerk)).status).not.toBe(200);
  });

  it('applies a rule to HEAD as to GET, and to URLs with a fragment or an origin in front', async () => {
    // sent as written, as a client on a raw socket can: fetch would normalise these
    const status = (method: string, path: string, bearer: string) =>
      new Promise<number>((resolve, reject) => {
        const { port } = new URL(at);
        request({ port, method, path, headers: { authorization: `Bearer ${bearer}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end();
      });
    const guest = await token({ roles: ['guest'] });
    const spellings = [
      '/api/orders#x',
      '/api/orders/#',
      '/api\\orders#x',
      'http://host/api/orders',
      'HTTPS://user@host/api/orders?x=1',
    ];
    for (const [method, path] of [['HEAD', '/api/orders'], ...spellings.map((p) => ['GET', p])])
      expect({ method, path, status: await status(method!, path!, guest) }).toEqual({
        method,
        path,
        status: 403,
      });
    const clerk = await token({ roles: ['clerk'] });
    expect(await status('HEAD', '/api/orders', clerk)).toBe(200);
    expect(await status('GET', 'http://host/api/orders', clerk)).toBe(200);
  });

  it('lets admin routes take a JWT with the admin role beside the static token', async () => {
    expect((await call('/log/list', ADMIN_TOKEN)).status).toBe(200);
    expect((await call('/log/list', await token({ roles: ['admin'] }))).status).toBe(200);
    expect((await call('/log/list', await token({ roles: ['clerk'] }))).status).toBe(403);
    expect((await call('/log/list')).status).toBe(401);
  });
});

describe('the express middleware', () => {
  it('applies the rules to the full path where it is mounted and hands the claims to handlers', async () => {
    expect((await get('/legacy/orders')).status).toBe(401);
    expect((await get('/legacy/orders', await token({ roles: ['guest'] }))).status).toBe(403);
    expect((await get('/legacy/orders', await token({ roles: ['clerk'] }))).status).toBe(200);
    expect(await get('/legacy/me', await token({ sub: 'di' }))).toMatchObject({
      status: 200,
      body: { sub: 'di' },
    });
  });
});

describe('access rules over gRPC', () => {
  it('refuses a call without a token (UNAUTHENTICATED) or without the role (PERMISSION_DENIED)', async () => {
    expect(await codeOf(call(greeter.SayHello, greeter, { name: 'x' }))).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    const guest = withToken(await token({ roles: ['guest'] }));
    expect(await codeOf(call(greeter.SayHello, greeter, { name: 'x' }, guest))).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    const ok = withToken(await token({ roles: ['greeter'] }));
    expect(await call(greeter.SayHello, greeter, { name: 'Ada' }, ok)).toEqual({
      message: 'Hello, Ada!',
    });
  });

  it('keeps the health service open without a token', async () => {
    const health = healthClient(`127.0.0.1:${app.grpc.address().port}`);
    const status = await new Promise((resolve, reject) =>
      health.Check({ service: '' }, (err, reply) => (err ? reject(err) : resolve(reply!.status))),
    );
    health.close();
    expect(status).toBe('SERVING');
  });
});

describe('rules replaced while serving', () => {
  it('applies new rules to the next request and call, and keeps the old ones when new ones are bad', async () => {
    const clerk = await token({ roles: ['clerk'] });
    expect((await get('/api/orders', clerk)).status).toBe(200);
    app.auth.setRules([
      { match: 'GET /api/orders', roles: ['manager'] },
      { match: '/greeter.Greeter/SayHello', public: true },
    ]);
    try {
      expect((await get('/api/orders', clerk)).status).toBe(403);
      expect(await call(greeter.SayHello, greeter, { name: 'anyone' })).toEqual({
        message: 'Hello, anyone!',
      });
      expect(() => app.auth.setRules([{ match: 'no-slash' }])).toThrow(/rules\[0\]/);
      expect((await get('/api/orders', clerk)).status).toBe(403);
    } finally {
      app.auth.setRules(RULES);
    }
    expect((await get('/api/orders', clerk)).status).toBe(200);
  });
});
