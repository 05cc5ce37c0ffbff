import { Agent } from '../../src/index.js';
import { KvPlugin, ServiceRegistryPlugin, type KvPluginOptions } from '../../plugins/kv/index.js';
import { StatusCheckPlugin } from '../../plugins/status-check/index.js';
import { ownEtcd, ownRedis, shared, suffix, type OwnServer } from './servers.js';

/** One backend the conformance suite runs against. */
export interface KvTarget {
  kind: 'memory' | 'etcd' | 'redis';
  /** Settings of a store of its own (fresh namespace) on this backend. */
  settings(): Record<string, unknown>;
  /** The test's own server (etcd, redis), for faults. */
  server?: OwnServer;
}

/** A started KV plugin in an agent of its own. */
export interface StartedKv {
  kv: KvPlugin;
  agent: Agent;
  stop(): Promise<void>;
}

/** Starts a KV plugin named `kv` with these settings. */
export async function startKv(
  settings: Record<string, unknown>,
  options: KvPluginOptions = {},
): Promise<StartedKv> {
  const kv = new KvPlugin(options);
  const agent = new Agent([{ name: 'kv', plugin: kv }], {
    name: 'kvtest',
    env: {},
    config: { kv: settings },
    log: { level: 'error' },
  });
  await agent.start();
  return {
    kv,
    agent,
    stop: async () => {
      await agent.stop();
      await removeRedisKeys(settings);
    },
  };
}

/** An agent of the service `orders` (not started): status check, KV store and service registry. */
export function registryAgent(
  kvSettings: Record<string, unknown>,
  registrySettings: Record<string, unknown>,
  metadata: Record<string, string> = {},
) {
  const status = new StatusCheckPlugin();
  const kv = new KvPlugin();
  const registry = new ServiceRegistryPlugin({ metadata });
  kv.deps = { status };
  registry.deps = { kv, status };
  const agent = new Agent(
    [
      { name: 'status', plugin: status },
      { name: 'kv', plugin: kv },
      { name: 'registry', plugin: registry },
    ],
    {
      name: 'orders',
      env: {},
      config: { kv: kvSettings, registry: registrySettings },
      log: { level: 'error' },
    },
  );
  return { agent, status, registry };
}

/**
 * The backends: memory, the test's own etcd, and Redis (the test's own server when
 * `ownRedisServer`, else the shared one with a random namespace). Call in `beforeAll`.
 */
export async function kvTargets(ownRedisServer = false): Promise<KvTarget[]> {
  const etcd = await ownEtcd();
  const redis = ownRedisServer ? await ownRedis() : undefined;
  const redisUrl = redis ? `redis://127.0.0.1:${redis.port}` : shared.redis.url;
  return [
    { kind: 'memory', settings: () => ({}) },
    {
      kind: 'etcd',
      server: etcd,
      settings: () => ({ url: `etcd://127.0.0.1:${etcd.port}`, namespace: `/t-${suffix()}` }),
    },
    {
      kind: 'redis',
      ...(redis ? { server: redis } : {}),
      settings: () => ({ url: redisUrl, namespace: `fk-test-${suffix()}` }),
    },
  ];
}

/** Stops the servers `kvTargets` started. */
export async function stopTargets(targets: KvTarget[]): Promise<void> {
  await Promise.all(targets.map((t) => t.server?.stop() ?? Promise.resolve()));
}

/** Collects an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A promise with its resolve function, resolved when `check` holds after `poke` is called. */
export function until(check: () => boolean): { done: Promise<void>; poke: () => void } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const poke = () => {
    if (check()) resolve();
  };
  return { done, poke };
}

/** Deletes what a store left on a Redis server (its namespace's keys). */
async function removeRedisKeys(settings: Record<string, unknown>): Promise<void> {
  const { url, namespace } = settings as { url?: string; namespace?: string };
  if (!url?.startsWith('redis:') || !namespace) return;
  const { createClient } = await import('redis');
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const names = ['rev', 'data', 'index', 'expiry', 'changes', 'epoch'];
    await client.del(names.map((n) => `{${namespace}}:${n}`));
  } catch {
    // the test's own server may be gone already
  } finally {
    client.destroy();
  }
}
