import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collect,
  kvTargets,
  startKv,
  stopTargets,
  type KvTarget,
  type StartedKv,
} from './helpers/kv.js';

const targets = await kvTargets();
afterAll(() => stopTargets(targets));

describe.each(targets)('kv store on $kind', (target: KvTarget) => {
  let s: StartedKv;
  beforeAll(async () => {
    s = await startKv(target.settings());
  });
  afterAll(() => s.stop());

  it('puts and gets values with the revision of their last change', async () => {
    const { kv } = s;
    const r1 = await kv.put('/a/one', { n: 1 });
    const r2 = await kv.put('/a/one', { n: 2 });
    expect(r2).toBeGreaterThan(r1);
    expect(await kv.get('/a/one')).toEqual({ value: { n: 2 }, revision: r2 });
    expect(await kv.get('/a/missing')).toBeUndefined();
    expect(await kv.revision()).toBeGreaterThanOrEqual(r2);
  });

  it('lists and deletes by prefix, sorted by key, and counts deletions', async () => {
    const { kv } = s;
    await kv.put('/l/b', 2);
    await kv.put('/l/a', 1);
    await kv.put('/l/c/d', 3);
    await kv.put('/lx', 9);
    expect(await collect(kv.keys('/l/'))).toEqual(['/l/a', '/l/b', '/l/c/d']);
    const entries = await collect(kv.list('/l/'));
    expect(entries.map((e) => e.value)).toEqual([1, 2, 3]);
    expect(await kv.delete('/l/', { prefix: true })).toBe(3);
    expect(await collect(kv.keys('/l/'))).toEqual([]);
    expect(await kv.get('/lx')).toMatchObject({ value: 9 });
    expect(await kv.delete('/nothing-here')).toBe(0);
  });

  it('writes only when the compare holds: putIfAbsent, compareAndSwap, compareAndDelete', async () => {
    const { kv } = s;
    const first = await kv.putIfAbsent('/cas/k', 'a');
    expect(first).toBeTypeOf('number');
    expect(await kv.putIfAbsent('/cas/k', 'b')).toBeUndefined();
    expect(await kv.compareAndSwap('/cas/k', first! + 1000, 'c')).toBeUndefined();
    const second = await kv.compareAndSwap('/cas/k', first!, 'd');
    expect(await kv.get('/cas/k')).toEqual({ value: 'd', revision: second });
    expect(await kv.compareAndDelete('/cas/k', first!)).toBe(false);
    expect(await kv.compareAndDelete('/cas/k', second!)).toBe(true);
    expect(await kv.get('/cas/k')).toBeUndefined();
  });

  it('applies a transaction all or nothing, under one revision', async () => {
    const { kv } = s;
    const base = await kv.put('/tx/a', 1);
    const failed = await kv.transaction({
      if: [{ key: '/tx/a', revision: base + 100 }],
      then: [{ put: '/tx/b', value: 2 }, { delete: '/tx/a' }],
    });
    expect(failed.ok).toBe(false);
    expect(await kv.get('/tx/b')).toBeUndefined();
    expect(await kv.get('/tx/a')).toMatchObject({ value: 1 });
    const done = await kv.transaction({
      if: [
        { key: '/tx/a', revision: base },
        { key: '/tx/c', revision: 0 },
      ],
      then: [{ put: '/tx/b', value: 2 }, { put: '/tx/c', value: 3 }, { delete: '/tx/a' }],
    });
    expect(done.ok).toBe(true);
    expect((await kv.get('/tx/b'))?.revision).toBe(done.revision);
    expect((await kv.get('/tx/c'))?.revision).toBe(done.revision);
    expect(await kv.get('/tx/a')).toBeUndefined();
  });

  it('withPrefix adds the prefix to keys it is given and strips it from keys it returns', async () => {
    const { kv } = s;
    const tenant = kv.withPrefix('/tenants/t1');
    await tenant.put('/x', 'X');
    expect(await kv.get('/tenants/t1/x')).toMatchObject({ value: 'X' });
    expect(await collect(tenant.keys('/'))).toEqual(['/x']);
    const nested = tenant.withPrefix('/deep');
    await nested.put('/y', 'Y');
    expect(await collect(tenant.keys('/'))).toEqual(['/deep/y', '/x']);
    expect(await nested.get('/y')).toMatchObject({ value: 'Y' });
  });

  it('deletes a key when its TTL passes, with a delete event', async () => {
    const { kv } = s;
    const ttl = target.kind === 'etcd' ? 1_000 : 300;
    const events: string[] = [];
    let gone!: () => void;
    const deleted = new Promise<void>((r) => (gone = r));
    const watch = await kv.watch('/ttl/', (e) => {
      events.push(e.type);
      if (e.type === 'delete') gone();
    });
    await kv.put('/ttl/k', 'short-lived', { ttl });
    await kv.put('/ttl/stays', 'here');
    expect(await kv.get('/ttl/k')).toMatchObject({ value: 'short-lived' });
    await deleted;
    expect(await kv.get('/ttl/k')).toBeUndefined();
    expect(await kv.get('/ttl/stays')).toMatchObject({ value: 'here' });
    expect(events).toEqual(['put', 'put', 'delete']);
    await watch.close();
  });

  it('keeps a key with a TTL longer than a timer can wait (2^31 ms and more)', async () => {
    const { kv } = s;
    const warnings: string[] = [];
    const heard = (w: Error) => warnings.push(w.name);
    process.on('warning', heard);
    try {
      await kv.put('/ttl/long', 'a month', { ttl: 30 * 24 * 3_600_000 });
      await new Promise((r) => setTimeout(r, 50));
      expect(await kv.get('/ttl/long')).toMatchObject({ value: 'a month' });
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', heard);
      await kv.delete('/ttl/long');
    }
  });

  it.skipIf(target.kind === 'memory')(
    'keeps a namespace apart from one that starts with the same text',
    async () => {
      const settings = target.settings();
      const sibling = await startKv({ ...settings, namespace: `${String(settings.namespace)}-eu` });
      const own = await startKv(settings);
      try {
        await sibling.kv.put('/orders/1', 'theirs');
        await own.kv.put('/orders/1', 'ours');
        expect(await collect(own.kv.keys(''))).toEqual(['/orders/1']);
        expect(await own.kv.delete('', { prefix: true })).toBe(1);
        expect(await sibling.kv.get('/orders/1')).toMatchObject({ value: 'theirs' });
      } finally {
        await own.stop();
        await sibling.stop();
      }
    },
  );
});
