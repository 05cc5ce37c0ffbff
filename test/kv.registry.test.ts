import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/index.js';
import { KvPlugin, ServiceRegistryPlugin, type ServiceInstance } from '../plugins/kv/index.js';
import { StatusCheckPlugin } from '../plugins/status-check/index.js';
import { kvTargets, stopTargets, until, type KvTarget } from './helpers/kv.js';

const targets = await kvTargets();
afterAll(() => stopTargets(targets));

function instanceAgent(settings: Record<string, unknown>, id: string) {
  const status = new StatusCheckPlugin();
  const kv = new KvPlugin();
  const registry = new ServiceRegistryPlugin({ metadata: { zone: 'a' } });
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
      config: { kv: settings, registry: { instanceId: id, address: `http://10.0.0.1:${id}` } },
      log: { level: 'error' },
    },
  );
  return { agent, status, registry };
}

describe.each(targets.filter((t) => t.kind !== 'etcd'))(
  'service registry on $kind',
  (target: KvTarget) => {
    const settings = target.kind === 'memory' ? {} : target.settings();
    const one = instanceAgent(settings, '8001');
    beforeAll(() => one.agent.start());
    afterAll(() => one.agent.stop());

    it('registers while ready, takes the instance out while readiness fails, and on stop', async () => {
      const { registry, status } = one;
      let current: ServiceInstance[] = [];
      let want = (_: ServiceInstance[]) => false;
      let step = until(() => want(current));
      const watch = await registry.watch('orders', (instances) => {
        current = instances;
        step.poke();
      });
      const expectInstances = async (check: (i: ServiceInstance[]) => boolean) => {
        want = check;
        step = until(() => want(current));
        step.poke();
        await step.done;
      };

      await expectInstances((i) => i.length === 1);
      expect(current[0]).toEqual({
        service: 'orders',
        id: '8001',
        address: 'http://10.0.0.1:8001',
        metadata: { zone: 'a' },
      });
      expect(await registry.resolve('orders')).toEqual(current);

      status.report('database', 'error', 'lost');
      await expectInstances((i) => i.length === 0);
      status.report('database', 'ok');
      await expectInstances((i) => i.length === 1);

      if (target.kind !== 'memory') {
        const two = instanceAgent(settings, '8002');
        await two.agent.start();
        await expectInstances((i) => i.map((x) => x.id).join() === '8001,8002');
        await two.agent.stop();
        await expectInstances((i) => i.map((x) => x.id).join() === '8001');
      }
      await watch.close();
    });
  },
);
