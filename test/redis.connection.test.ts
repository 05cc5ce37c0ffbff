import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { Embed, Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { RedisPlugin } from '../plugins/redis/index.js';
import { shared, suffix } from './helpers/servers.js';

const prefix = `flavorkit-test:${suffix()}:`;

@Flavor()
class TwoCaches {
  @Embed() rpc = new RpcFlavor();
  @Plug({ name: 'session-cache' }) sessions = new RedisPlugin();
  @Plug({ name: 'data-cache' }) data = new RedisPlugin();

  inject(): void {
    const deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
    this.sessions.deps = deps;
    this.data.deps = deps;
  }
}

@Flavor()
class OptionalCache {
  @Embed() rpc = new RpcFlavor();
  @Plug({ optional: true }) cache = new RedisPlugin();

  inject(): void {
    this.cache.deps = { status: this.rpc.local.statusCheck };
  }
}

const env = {
  TEST_SESSION_CACHE_URL: shared.redis.url,
  TEST_DATA_CACHE_HOST: '127.0.0.1',
  TEST_DATA_CACHE_DB: '1',
};

/** Resolves with the first `count` messages a handler gets. */
function collect(count: number): {
  handler: (m: string, c: string) => void;
  got: Promise<string[]>;
} {
  const seen: string[] = [];
  let done!: (v: string[]) => void;
  const got = new Promise<string[]>((resolve) => (done = resolve));
  return {
    handler: (message, channel) => {
      seen.push(`${channel}=${message}`);
      if (seen.length === count) done([...seen]);
    },
    got,
  };
}

describe('redis plugin', () => {
  afterAll(async () => {
    for (const database of [0, 1]) {
      const client = await createClient({ url: shared.redis.url, database }).connect();
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
        if (keys.length > 0) await client.del(keys);
      }
      client.destroy();
    }
  });

  it('runs two instances side by side, each from its own variables', async () => {
    const { flavor } = await testAgent(new TwoCaches(), { env });
    await flavor.sessions.client.set(`${prefix}who`, 'sessions');
    await flavor.data.client.set(`${prefix}who`, 'data');
    expect(await flavor.sessions.client.get(`${prefix}who`)).toBe('sessions');
    expect(await flavor.data.client.get(`${prefix}who`)).toBe('data');
    expect(await flavor.data.client.sendCommand(['CLIENT', 'INFO'])).toMatch(/ db=1 /);
  });

  it('delivers published messages to subscribers on their own connection, until they unsubscribe', async () => {
    const { flavor, logs } = await testAgent(new TwoCaches(), { env });
    const redis = flavor.sessions;
    const channel = `${prefix}news`;
    const first = collect(2);
    const unsubscribe = await redis.subscribe(channel, first.handler);
    await redis.subscribe(channel, () => {
      throw new Error('a broken handler');
    });
    const patterned = collect(1);
    await redis.subscribe(`${prefix}n*`, patterned.handler, { pattern: true });
    // the command connection stays free for commands while subscribed
    expect(await redis.client.ping()).toBe('PONG');
    expect(await redis.publish(channel, 'one')).toBe(2);
    await redis.publish(channel, 'two');
    expect(await first.got).toEqual([`${channel}=one`, `${channel}=two`]);
    expect(await patterned.got).toEqual([`${channel}=one`]);
    await unsubscribe();
    expect(await redis.publish(channel, 'three')).toBe(2);
    expect(logs.some((l) => l.level === 'error' && /a broken handler/.test(l.message))).toBe(true);
  });

  it('counts commands and failed commands per instance in /metrics', async () => {
    const { flavor, request } = await testAgent(new TwoCaches(), { env });
    await flavor.sessions.client.set(`${prefix}text`, 'not a number');
    await expect(flavor.sessions.client.incr(`${prefix}text`)).rejects.toThrow();
    await flavor.data.client.get(`${prefix}text`);
    const metrics = (await request<string>('GET', '/metrics')).body;
    expect(metrics).toMatch(/flavorkit_redis_commands_total\{plugin="session-cache"\} [2-9]/);
    expect(metrics).toMatch(/flavorkit_redis_errors_total\{plugin="session-cache"\} 1\n/);
    expect(metrics).toMatch(/flavorkit_redis_errors_total\{plugin="data-cache"\} 0\n/);
    expect(metrics).toMatch(/flavorkit_redis_reconnects_total\{plugin="data-cache"\} 0\n/);
  });

  it('fails its start with a ConfigError naming the variable to set when nothing is configured', async () => {
    const t = await testAgent(new TwoCaches(), { env: {}, start: false });
    const error = (await t.agent.start().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'FK_CONFIG', plugin: 'session-cache' });
    expect(error.message).toContain('TEST_SESSION_CACHE_URL');
  });

  it('leaves the agent running, degraded, when it is optional and not configured', async () => {
    const t = await testAgent(new OptionalCache());
    expect(t.agent.status().state).toBe('degraded');
    expect((await t.request('GET', '/readiness')).status).toBe(200);
  });
});
