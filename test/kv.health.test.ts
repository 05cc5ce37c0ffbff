import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent, KvError } from '../src/index.js';
import { KvPlugin } from '../plugins/kv/index.js';
import { StatusCheckPlugin } from '../plugins/status-check/index.js';
import { healthOf } from './helpers/health.js';
import { kvTargets, stopTargets, until, type KvTarget } from './helpers/kv.js';

// the test's own servers, which it kills and restarts
const targets = (await kvTargets(true)).filter((t) => t.server);
afterAll(() => stopTargets(targets));

/** The value of one series in the registry's text output, or undefined. */
async function sample(registry: Registry, series: string): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** An agent with the status check and a KV store on `target` that notices a lost server fast. */
async function startWithHealth(target: KvTarget) {
  const status = new StatusCheckPlugin();
  const kv = new KvPlugin();
  const registry = new Registry();
  kv.deps = { status, metrics: { registry } };
  const agent = new Agent(
    [
      { name: 'status', plugin: status },
      { name: 'kv', plugin: kv },
    ],
    {
      name: 'kvhealth',
      env: {},
      // the first connection of a loaded machine may take longer than the 500 ms calls get
      config: {
        kv: { ...target.settings(), healthInterval: 100, requestTimeout: 500, waitForServer: true },
      },
      log: { level: 'error' },
    },
  );
  await agent.start();
  await healthOf(status, 'kv', 'ok');
  return { agent, status, kv, registry };
}

/** The error a call rejects with. */
async function failure(call: Promise<unknown>): Promise<Error> {
  return (await call.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  )) as Error;
}

describe.each(targets)('health of the $kind backend', (target: KvTarget) => {
  it('turns error while its server is down, and ok by itself once it is back', async () => {
    const server = target.server!;
    const { agent, status, kv, registry } = await startWithHealth(target);
    try {
      const keys: string[] = [];
      const after = until(() => keys.includes('/h/after'));
      const watch = await kv.watch('/h/', (e) => {
        if (e.type === 'resync') keys.push(...e.snapshot.map((s) => s.key));
        else keys.push(e.key);
        after.poke();
      });
      await kv.put('/h/before', 1);

      await server.kill();
      await healthOf(status, 'kv', 'error');
      expect(status.agentStatus().state).toBe('error');
      const failed = await failure(kv.put('/h/down', 1));
      expect(failed).toBeInstanceOf(KvError);
      expect(failed).toMatchObject({ reason: 'unavailable', plugin: 'kv' });
      expect(failed.message).toContain(`127.0.0.1:${server.port}`);

      await server.restart();
      await healthOf(status, 'kv', 'ok');
      expect(status.agentStatus().state).toBe('ok');
      // the store works again without a restart of the agent, and the watch goes on
      await kv.put('/h/after', 2);
      await after.done;
      expect(await kv.get('/h/after')).toMatchObject({ value: 2 });
      await watch.close();

      expect(
        await sample(registry, 'flavorkit_kv_operations_total{store="kv",op="put",result="error"}'),
      ).toBe(1);
      expect(
        await sample(registry, 'flavorkit_kv_operations_total{store="kv",op="put",result="ok"}'),
      ).toBe(2);
      // the watch came back: resumed (etcd keeps its data) or resynced (this redis lost its data)
      const back =
        (await sample(registry, 'flavorkit_kv_reconnects_total{store="kv"}'))! +
        (await sample(registry, 'flavorkit_kv_resyncs_total{store="kv"}'))!;
      expect(back).toBeGreaterThan(0);
    } finally {
      await agent.stop();
    }
  });

  it('fails calls after requestTimeout while its server hangs, and answers once it goes on', async () => {
    const server = target.server!;
    const { agent, status, kv } = await startWithHealth(target);
    try {
      await kv.put('/hang/k', 1);
      await server.pause();
      try {
        const failed = await failure(kv.get('/hang/k'));
        expect(failed).toMatchObject({ code: 'FK_KV', reason: 'unavailable', plugin: 'kv' });
        await healthOf(status, 'kv', 'error');
      } finally {
        server.resume();
      }
      await healthOf(status, 'kv', 'ok');
      expect(await kv.get('/hang/k')).toMatchObject({ value: 1 });
    } finally {
      await agent.stop();
    }
  });
});

describe('metrics of two stores in one registry', () => {
  it('counts each store apart, read when the registry is scraped', async () => {
    const registry = new Registry();
    const a = new KvPlugin();
    const b = new KvPlugin();
    a.deps = { metrics: { registry } };
    b.deps = { metrics: { registry } };
    const agent = new Agent(
      [
        { name: 'kv-a', plugin: a },
        { name: 'kv-b', plugin: b },
      ],
      { name: 'kvmetrics', env: {}, log: { level: 'error' } },
    );
    await agent.start();
    try {
      let events = 0;
      const seen = until(() => events === 2);
      const watch = await b.watch('/', () => {
        events++;
        seen.poke();
      });
      await a.put('/x', 1);
      await a.put('/x', 2);
      await a.get('/x');
      await b.put('/y', 1);
      await b.delete('/y');
      await seen.done;
      const ops = (store: string, op: string) =>
        sample(registry, `flavorkit_kv_operations_total{store="${store}",op="${op}",result="ok"}`);
      expect(await ops('kv-a', 'put')).toBe(2);
      expect(await ops('kv-a', 'get')).toBe(1);
      expect(await ops('kv-b', 'put')).toBe(1);
      expect(await ops('kv-b', 'delete')).toBe(1);
      expect(await sample(registry, 'flavorkit_kv_watch_events_total{store="kv-a"}')).toBe(0);
      expect(await sample(registry, 'flavorkit_kv_watch_events_total{store="kv-b"}')).toBe(2);
      expect(await sample(registry, 'flavorkit_kv_watch_lag_revisions{store="kv-b"}')).toBe(0);
      // a second scrape reads the same totals, not twice them
      expect(await ops('kv-a', 'put')).toBe(2);
      await watch.close();
    } finally {
      await agent.stop();
    }
  });
});
