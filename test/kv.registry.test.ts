import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceRegistryPlugin, ServiceInstance } from '../plugins/kv/index.js';
import { runTs } from './helpers/child.js';
import { kvTargets, registryAgent, stopTargets, until, type KvTarget } from './helpers/kv.js';

const targets = await kvTargets();
afterAll(() => stopTargets(targets));
const instanceScript = fileURLToPath(new URL('./fixtures/kv-instance.ts', import.meta.url));

function instanceAgent(settings: Record<string, unknown>, id: string) {
  return registryAgent(
    settings,
    { instanceId: id, address: `http://10.0.0.1:${id}` },
    { zone: 'a' },
  );
}

/** Follows the instances of `orders` as the registry's watch reports them. */
async function follow(registry: ServiceRegistryPlugin) {
  let current: ServiceInstance[] = [];
  let want = (_: ServiceInstance[]) => false;
  let step = until(() => want(current));
  const watch = await registry.watch('orders', (instances) => {
    current = instances;
    step.poke();
  });
  return {
    watch,
    get current() {
      return current;
    },
    /** Resolves once the instances pass `check`. */
    async until(check: (i: ServiceInstance[]) => boolean) {
      want = check;
      step = until(() => want(current));
      step.poke();
      await step.done;
    },
  };
}

const ids = (instances: ServiceInstance[]) => instances.map((x) => x.id).join();

describe.each(targets)('service registry on $kind', (target: KvTarget) => {
  const settings = target.kind === 'memory' ? {} : target.settings();
  const one = instanceAgent(settings, '8001');
  beforeAll(() => one.agent.start());
  afterAll(() => one.agent.stop());

  it('registers while ready, takes the instance out while readiness fails, and on stop', async () => {
    const { registry, status } = one;
    const seen = await follow(registry);

    await seen.until((i) => i.length === 1);
    expect(seen.current[0]).toEqual({
      service: 'orders',
      id: '8001',
      address: 'http://10.0.0.1:8001',
      metadata: { zone: 'a' },
    });
    expect(await registry.resolve('orders')).toEqual(seen.current);

    status.report('database', 'error', 'lost');
    await seen.until((i) => i.length === 0);
    expect(await registry.resolve('orders')).toEqual([]);
    status.report('database', 'ok');
    await seen.until((i) => i.length === 1);

    if (target.kind !== 'memory') {
      const two = instanceAgent(settings, '8002');
      await two.agent.start();
      await seen.until((i) => ids(i) === '8001,8002');
      expect(ids(await registry.resolve('orders'))).toBe('8001,8002');
      await two.agent.stop();
      await seen.until((i) => ids(i) === '8001');
    }
    await seen.watch.close();
  });

  it.skipIf(target.kind === 'memory')(
    'takes out the instance of a killed process once its TTL runs out',
    async () => {
      const { url, namespace } = settings as { url: string; namespace: string };
      const seen = await follow(one.registry);
      const child = runTs(instanceScript, ['9001'], { KV_URL: url, KV_NAMESPACE: namespace });
      try {
        await child.waitFor('started');
        await seen.until((i) => ids(i) === '8001,9001');
        child.proc.kill('SIGKILL');
        await child.exited;
        // nobody takes it out: only the end of its lease (TTL) can
        await seen.until((i) => ids(i) === '8001');
        expect(ids(await one.registry.resolve('orders'))).toBe('8001');
      } finally {
        child.proc.kill('SIGKILL');
        await seen.watch.close();
      }
    },
  );
});
