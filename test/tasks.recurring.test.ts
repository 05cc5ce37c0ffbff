import { Registry, type Counter } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import {
  MemoryLocks,
  TasksPlugin,
  tryLocks,
  type Lease,
  type TaskLock,
} from '../plugins/tasks/index.js';
import { startKv } from './helpers/kv.js';
import { deferred } from './helpers/deferred.js';
import { eventually } from './helpers/eventually.js';

@Flavor()
class Replica {
  registry = new Registry();
  @Plug() tasks = new TasksPlugin();
  constructor(lock?: TaskLock) {
    if (lock) this.tasks.deps.lock = lock;
    this.tasks.deps.metrics = { registry: this.registry };
  }
}

async function skipped(registry: Registry, reason: string): Promise<number> {
  const metric = registry.getSingleMetric('flavorkit_tasks_skipped_total') as Counter;
  const values = (await metric.get()).values;
  return values.filter((v) => v.labels.reason === reason).reduce((n, v) => n + v.value, 0);
}

describe('recurring tasks', () => {
  it('runs every N ms, and skips runs while the previous one still runs', async () => {
    const { flavor } = await testAgent(new Replica());
    const release = deferred();
    let runs = 0;
    flavor.tasks.every('sweep', { everyMs: 10 }, async () => {
      runs++;
      if (runs === 1) await release.promise;
    });
    await eventually(() => runs === 1);
    let skips = 0;
    await eventually(() => {
      void skipped(flavor.registry, 'running').then((n) => (skips = n));
      return skips >= 3;
    });
    expect(runs).toBe(1);
    release.resolve();
    await eventually(() => runs >= 3);
  });

  it('runs on a cron expression', async () => {
    const { flavor } = await testAgent(new Replica());
    const ran = deferred<number>();
    const recurring = flavor.tasks.every('each-second', { cron: '* * * * * *' }, () =>
      ran.resolve(Date.now()),
    );
    const next = recurring.nextRun!.getTime();
    expect(next - Date.now()).toBeLessThanOrEqual(1_000);
    expect(await ran.promise).toBeGreaterThanOrEqual(next);
  });

  it('waits for a run time more than 24.8 days away instead of running at once', async () => {
    const { flavor } = await testAgent(new Replica());
    let far = 0;
    const monthly = flavor.tasks.every(
      'monthly',
      { everyMs: 30 * 24 * 3_600_000 },
      () => void far++,
    );
    const yearly = flavor.tasks.every('yearly', { cron: '0 0 0 1 1 *' }, () => void far++);
    const [month, year] = [monthly.nextRun!.getTime(), yearly.nextRun!.getTime()];
    let near = 0;
    flavor.tasks.every('near', { everyMs: 10 }, () => void near++);
    await eventually(() => near >= 3);
    expect(far).toBe(0);
    expect(monthly.nextRun!.getTime()).toBe(month);
    expect(yearly.nextRun!.getTime()).toBe(year);
  });

  it('refuses an invalid cron expression or interval', async () => {
    const { flavor } = await testAgent(new Replica());
    expect(() => flavor.tasks.every('bad', { cron: 'every tuesday' }, () => 1)).toThrow(
      /no cron expression/,
    );
    expect(() => flavor.tasks.every('bad', { everyMs: 0 }, () => 1)).toThrow(/every/);
  });

  it('with a shared lock, runs each run of a recurring task on one replica only', async () => {
    const shared = new MemoryLocks();
    const tried: string[] = [];
    const granted: string[] = [];
    const lock: TaskLock = {
      async lock(name, options): Promise<Lease | undefined> {
        tried.push(name);
        const lease = await shared.lock(name, options);
        if (lease) granted.push(name);
        return lease;
      },
    };
    const a = await testAgent(new Replica(lock), { agent: { name: 'a' } });
    const b = await testAgent(new Replica(lock), { agent: { name: 'b' } });
    const runs: string[] = [];
    a.flavor.tasks.every('report', { everyMs: 20 }, () => void runs.push('a'));
    b.flavor.tasks.every('report', { everyMs: 20 }, () => void runs.push('b'));
    await eventually(() => runs.length >= 8);
    await a.stop();
    await b.stop();
    expect(new Set(granted).size).toBe(granted.length);
    expect(runs).toHaveLength(granted.length);
    // both replicas asked for (nearly) every run time, and only one got each
    expect(tried.length).toBeGreaterThan(granted.length * 1.5);
  });

  it('runs each run on one replica with the KV plugin’s lock', async () => {
    const kv = await startKv({});
    const locks = tryLocks(kv.kv);
    // the run time is the lock's name: each may be granted once, whatever the timers' delays
    const granted: string[] = [];
    const lock: TaskLock = {
      async lock(name, options): Promise<Lease | undefined> {
        const lease = await locks.lock(name, options);
        if (lease) granted.push(name);
        return lease;
      },
    };
    const a = await testAgent(new Replica(lock), { agent: { name: 'a' } });
    const b = await testAgent(new Replica(lock), { agent: { name: 'b' } });
    const runs: string[] = [];
    a.flavor.tasks.every('report', { everyMs: 100 }, () => void runs.push('a'));
    b.flavor.tasks.every('report', { everyMs: 100 }, () => void runs.push('b'));
    await eventually(() => runs.length >= 4);
    await a.stop();
    await b.stop();
    await kv.stop();
    expect(new Set(granted).size).toBe(granted.length);
    expect(runs).toHaveLength(granted.length);
  });
});
