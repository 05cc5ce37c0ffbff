import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WatchEvent } from '../plugins/kv/index.js';
import {
  collect,
  kvTargets,
  startKv,
  stopTargets,
  until,
  type KvTarget,
  type StartedKv,
} from './helpers/kv.js';

const targets = await kvTargets();
afterAll(() => stopTargets(targets));

describe.each(targets)('watch on $kind', (target: KvTarget) => {
  let s: StartedKv;
  beforeAll(async () => {
    s = await startKv(target.settings());
  });
  afterAll(() => s.stop());

  it('delivers puts and deletes with previous values, in revision order, one revision per transaction', async () => {
    const { kv } = s;
    const events: WatchEvent<unknown>[] = [];
    const wait = until(() => events.length === 5);
    const watch = await kv.watch('/w1/', (e) => {
      events.push(e);
      wait.poke();
    });
    await kv.put('/other', 'not watched');
    const r1 = await kv.put('/w1/a', 1);
    const r2 = await kv.put('/w1/a', 2);
    const tx = await kv.transaction({ then: [{ put: '/w1/b', value: 3 }, { delete: '/w1/a' }] });
    await kv.delete('/w1/b');
    await wait.done;
    expect(events).toEqual([
      { type: 'put', key: '/w1/a', value: 1, previous: undefined, revision: r1 },
      { type: 'put', key: '/w1/a', value: 2, previous: 1, revision: r2 },
      { type: 'put', key: '/w1/b', value: 3, previous: undefined, revision: tx.revision },
      { type: 'delete', key: '/w1/a', value: undefined, previous: 2, revision: tx.revision },
      expect.objectContaining({ type: 'delete', key: '/w1/b', previous: 3 }),
    ]);
    expect(watch.revision).toBe(events.at(-1)!.revision);
    await watch.close();
  });

  it('replays history from a past revision', async () => {
    const { kv } = s;
    const from = await kv.put('/w2/a', 'first');
    await kv.put('/w2/b', 'second');
    const seen: string[] = [];
    const wait = until(() => seen.length === 3);
    const watch = await kv.watch(
      '/w2/',
      (e) => {
        if (e.type !== 'resync') seen.push(`${e.type} ${e.key}`);
        wait.poke();
      },
      { fromRevision: from },
    );
    await kv.put('/w2/c', 'third');
    await wait.done;
    expect(seen).toEqual(['put /w2/a', 'put /w2/b', 'put /w2/c']);
    await watch.close();
  });

  it('hands on a resync with the full snapshot when the history it needs was compacted', async () => {
    const { kv } = s;
    const from = await kv.put('/w3/a', 1);
    await kv.put('/w3/b', 2);
    await kv.delete('/w3/a');
    const last = await kv.put('/w3/c', 3);
    await kv.compact(last);
    const events: WatchEvent<unknown>[] = [];
    const resynced = until(() => events.length === 1);
    const changed = until(() => events.length === 2);
    const watch = await kv.watch(
      '/w3/',
      (e) => {
        events.push(e);
        resynced.poke();
        changed.poke();
      },
      { fromRevision: from },
    );
    await resynced.done;
    const after = await kv.put('/w3/d', 4);
    await changed.done;
    expect(events[0]).toMatchObject({ type: 'resync' });
    const resync = events[0] as Extract<WatchEvent<unknown>, { type: 'resync' }>;
    expect(resync.snapshot.map((e) => [e.key, e.value])).toEqual([
      ['/w3/b', 2],
      ['/w3/c', 3],
    ]);
    expect(resync.revision).toBeGreaterThanOrEqual(last);
    expect(events[1]).toMatchObject({ type: 'put', key: '/w3/d', revision: after });
    await watch.close();
  });

  it('awaits an async listener before the next event, and keeps going after a listener throws', async () => {
    const { kv } = s;
    const order: string[] = [];
    const wait = until(() => order.length === 4);
    const watch = await kv.watch('/w4/', async (e) => {
      if (e.type === 'resync') return;
      order.push(`start ${String(e.value)}`);
      await new Promise((r) => setImmediate(r));
      order.push(`end ${String(e.value)}`);
      wait.poke();
      if (e.value === 1) throw undefined;
    });
    await kv.put('/w4/k', 1);
    await kv.put('/w4/k', 2);
    await wait.done;
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
    await watch.close();
  });

  it('delivers the rest of a transaction after the listener throws on one of its changes', async () => {
    const { kv } = s;
    const seen: string[] = [];
    const wait = until(() => seen.includes('/w5/z'));
    const watch = await kv.watch('/w5/', (e) => {
      if (e.type === 'resync') return;
      seen.push(e.key);
      wait.poke();
      if (e.key === '/w5/a') throw undefined;
    });
    await kv.transaction({
      then: [
        { put: '/w5/a', value: 1 },
        { put: '/w5/b', value: 2 },
        { put: '/w5/c', value: 3 },
      ],
    });
    await kv.put('/w5/z', 4);
    await wait.done;
    expect(seen).toEqual(['/w5/a', '/w5/b', '/w5/c', '/w5/z']);
    await watch.close();
  });
});

describe.each(targets.filter((t) => t.kind !== 'etcd'))(
  'watch on $kind with a short history',
  (target: KvTarget) => {
    let s: StartedKv;
    beforeAll(async () => {
      s = await startKv({ ...target.settings(), history: 10 });
    });
    afterAll(() => s.stop());

    it('resyncs a watch from a revision the history no longer holds (trimmed by the history setting)', async () => {
      const { kv } = s;
      const from = await kv.put('/h/0', 0);
      // far more changes than the history keeps (redis trims its stream in whole blocks of ~100)
      for (let i = 1; i < 400; i++) {
        if (i % 5 === 0) await kv.delete(`/h/${i % 17}`);
        else await kv.put(`/h/${i % 17}`, i);
      }
      const events: WatchEvent<unknown>[] = [];
      const resynced = until(() => events.length === 1);
      const changed = until(() => events.length === 2);
      const watch = await kv.watch(
        '/h/',
        (e) => {
          events.push(e);
          resynced.poke();
          changed.poke();
        },
        { fromRevision: from + 1 },
      );
      await resynced.done;
      const after = await kv.put('/h/last', 'new');
      await changed.done;
      const resync = events[0] as Extract<WatchEvent<unknown>, { type: 'resync' }>;
      expect(resync.type).toBe('resync');
      const stored = await collect(kv.list('/h/'));
      expect([...resync.snapshot, { key: '/h/last', value: 'new', revision: after }]).toEqual(
        stored,
      );
      expect(events[1]).toMatchObject({ type: 'put', key: '/h/last', revision: after });
      await watch.close();
    });
  },
);
