import * as grpc from '@grpc/grpc-js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { type AccessRule, type Authenticator, AuthPlugin } from '../plugins/auth/index.js';
import { GrpcPlugin } from '../plugins/grpc/index.js';
import { call, codeOf, greeterClient, GreeterService, healthClient } from './helpers/grpc.js';
import { captureLines } from './helpers/recording.js';

const SECRET = 'access-test-secret-of-at-least-32-chars';
const ADMIN_TOKEN = 'static-admin-token';

class ApiRoutes implements Plugin {
  deps!: { http: HttpHandlers; auth: Authenticator };
  init(): void {
    const api = this.deps.http.router('/api');
    api.use(this.deps.auth.middleware);
    api.get('/public', (_req, res) => void res.json({ public: true }));
    api.get('/orders', (_req, res) => void res.json({ orders: [] }));
    api.post('/orders', (_req, res) => void res.status(201).json({ created: true }));
    api.get('/me', (_req, res) => void res.json({ sub: this.deps.auth.claimsOf(res)?.sub }));
  }
}

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() auth = new AuthPlugin();
  @Plug() greeter = new GreeterService();
  @Plug() api = new ApiRoutes();

  inject(): void {
    this.grpc.deps = { status: this.rpc.local.statusCheck };
    this.auth.deps = { http: this.rpc.http, grpc: this.grpc };
    this.greeter.deps = { grpc: this.grpc };
    this.api.deps = { http: this.rpc.http, auth: this.auth };
  }
}

const RULES: AccessRule[] = [
  { match: 'GET /api/public', public: true },
  { match: 'GET /api/orders', roles: ['clerk', 'admin'] },
  { match: 'POST /api/orders', scopes: ['orders:write'] },
  { match: '/greeter.Greeter/SayHello', roles: ['greeter'] },
];

const app = new App();
const agent = new Agent(app, {
  name: 'svc',
  env: {},
  config: {
    http: { port: 0, adminToken: ADMIN_TOKEN },
    grpc: { port: 0 },
    auth: { secret: SECRET, rules: RULES },
  },
  log: { level: 'error', stream: captureLines().stream },
});
let base: string;
let greeter: ReturnType<typeof greeterClient>;

beforeAll(async () => {
  await agent.start();
  base = `http://127.0.0.1:${app.rpc.http.address().port}`;
  greeter = greeterClient(`127.0.0.1:${app.grpc.address().port}`);
});
afterAll(async () => {
  greeter.close();
  await agent.stop();
});

const token = (claims: Record<string, unknown>) =>
  new SignJWT({ sub: 'ada', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));

async function get(path: string, bearer?: string, method = 'GET') {
  const res = await fetch(`${base}${path}`, {
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

describe('access rules over HTTP', () => {
  it('answers 401 JSON with WWW-Authenticate for a missing or bad token, never a stack', async () => {
    const missing = await get('/api/orders');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.body).toEqual({ error: expect.stringMatching(/Bearer/) });
    const bad = await get('/api/orders', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA');
    expect(bad.status).toBe(401);
    expect(JSON.stringify(bad.body)).not.toMatch(/\bat \S+:\d+/);
  });

  it('answers 403 for a valid token without the role or scope, and lets the right token in', async () => {
    expect((await get('/api/orders', await token({ roles: ['guest'] }))).status).toBe(403);
    expect((await get('/api/orders', await token({ roles: ['clerk'] }))).status).toBe(200);
    expect((await get('/api/orders', await token({ scope: 'orders:read' }), 'POST')).status).toBe(
      403,
    );
    expect(
      (await get('/api/orders', await token({ scope: 'orders:read orders:write' }), 'POST')).status,
    ).toBe(201);
  });

  it('serves public routes without a token and hands the claims to handlers', async () => {
    expect((await get('/api/public')).status).toBe(200);
    expect(await get('/api/me', await token({ sub: 'bo' }))).toMatchObject({
      status: 200,
      body: { sub: 'bo' },
    });
    expect((await get('/api/me')).status).toBe(401);
  });

  it('lets admin routes take a JWT with the admin role beside the static token', async () => {
    expect((await get('/log/list', ADMIN_TOKEN)).status).toBe(200);
    expect((await get('/log/list', await token({ roles: ['admin'] }))).status).toBe(200);
    expect((await get('/log/list', await token({ roles: ['clerk'] }))).status).toBe(403);
    expect((await get('/log/list')).status).toBe(401);
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
