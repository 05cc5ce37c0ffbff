import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineSeen } from './helpers/recording.js';
import { Agent, Embed, Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { RedisPlugin } from '../plugins/redis/index.js';
import { healthOf, unhandledRejections } from './helpers/health.js';
import { ownRedis, type OwnServer } from './helpers/servers.js';

const SECRET = 'rd-Kx9!never-shown';

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() cache = new RedisPlugin();

  inject(): void {
    this.cache.deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
  }
}

describe('redis plugin when the server fails', () => {
  let server: OwnServer;
  let settings: Record<string, unknown>;
  beforeAll(async () => {
    server = await ownRedis(['--requirepass', SECRET]);
    settings = {
      host: '127.0.0.1',
      port: server.port,
      password: SECRET,
      healthInterval: 50,
      healthTimeout: 1_000,
      connectTimeout: 1_000,
      reconnectDelay: 20,
      reconnectMaxDelay: 200,
    };
  });
  afterAll(() => server.stop());

  it('fails the start naming the plugin and host:port, never the password', async () => {
    const wrong = { ...settings, password: `${SECRET}-wrong` };
    const t = await testAgent(new App(), { config: { cache: wrong }, start: false });
    const refused = (await t.agent.start().catch((e: unknown) => e)) as Error;
    expect(refused).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'cache' });
    expect(refused.message).toContain(`127.0.0.1:${server.port}`);
    expect(refused.message).not.toContain(SECRET);

    await server.kill();
    try {
      const url = `redis://:${SECRET}@127.0.0.1:${server.port}`;
      const down = await testAgent(new App(), { config: { cache: { url } }, start: false });
      const error = (await down.agent.start().catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'cache' });
      expect(error.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${server.port}.*ECONNREFUSED`));
      expect(JSON.stringify(down.logs) + error.message).not.toContain(SECRET);
    } finally {
      await server.restart();
    }
  });

  it('waits for a server that comes up later with waitForServer', async () => {
    await server.kill();
    const log = lineSeen('waiting for it (waitForServer)');
    const app = new App();
    const agent = new Agent(app, {
      name: 'late',
      env: {},
      config: { http: { port: 0 }, cache: { ...settings, waitForServer: true } },
      log: { format: 'json', stream: log.stream },
    });
    const started = agent.start();
    await log.seen;
    await server.restart();
    await started;
    expect(await app.cache.client.ping()).toBe('PONG');
    await agent.stop();
  });

  it('turns error and /readiness 503 while disconnected, then ok and subscribed again once back', async () => {
    const rejections = unhandledRejections();
    const t = await testAgent(new App(), { config: { cache: settings } });
    const { cache, rpc } = t.flavor;
    const status = rpc.local.statusCheck;
    const messages: string[] = [];
    let received!: () => void;
    await cache.subscribe('events', (message) => {
      messages.push(message);
      received();
    });

    await server.kill();
    await healthOf(status, 'cache', 'error');
    const readiness = await t.request<{ plugins: Record<string, { error?: string }> }>(
      'GET',
      '/readiness',
    );
    expect(readiness.status).toBe(503);
    expect(readiness.body.plugins.cache?.error).toContain(`127.0.0.1:${server.port}`);
    // commands fail at once while disconnected instead of piling up
    await expect(cache.client.get('k')).rejects.toThrow();
    const diagnostics = await t.request('GET', '/diagnostics.json');

    await server.restart();
    await healthOf(status, 'cache', 'ok');
    expect((await t.request('GET', '/readiness')).status).toBe(200);
    const arrived = new Promise<void>((resolve) => (received = resolve));
    // the subscriber connection may come back a moment after the command one
    for (;;) {
      if ((await cache.publish('events', 'after the outage')) > 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await arrived;
    expect(messages).toEqual(['after the outage']);
    const metrics = (await t.request<string>('GET', '/metrics')).body;
    expect(metrics).toMatch(/flavorkit_redis_reconnects_total\{plugin="cache"\} [1-9]/);

    await t.stop();
    expect(rejections.stop()).toEqual([]);
    const everything = JSON.stringify([
      t.logs,
      readiness.body,
      diagnostics.body,
      t.agent.describeConfig(),
    ]);
    expect(everything).toContain('is unreachable');
    expect(everything).not.toContain(SECRET);
    const lines = t.logs.filter((l) => l.logger === 'cache').map((l) => l.message);
    expect(lines.filter((m) => m.includes('is unreachable'))).toHaveLength(1);
    expect(lines.filter((m) => m.includes('answers again'))).toHaveLength(1);
  });

  it('lets pending commands finish when stopping, and cuts off a blocked one after drainTimeout', async () => {
    const t = await testAgent(new App(), { config: { cache: { ...settings, drainTimeout: 200 } } });
    const { client } = t.flavor.cache;
    const writes = Array.from({ length: 50 }, (_, i) => client.set(`key:${i}`, String(i)));
    await t.stop();
    expect(await Promise.all(writes)).toEqual(Array(50).fill('OK'));

    const u = await testAgent(new App(), { config: { cache: { ...settings, drainTimeout: 200 } } });
    const blocked = u.flavor.cache.client.blPop('never-filled', 0);
    blocked.catch(() => undefined);
    const began = Date.now();
    await u.stop();
    expect(Date.now() - began).toBeLessThan(3_000);
    await expect(blocked).rejects.toThrow();
    expect(u.logs.some((l) => /cut off/.test(l.message))).toBe(true);
    await expect(u.flavor.cache.publish('x', 'y')).rejects.toThrow(/stopping/);
  });
});
