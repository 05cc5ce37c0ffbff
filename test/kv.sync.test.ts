import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe.each(targets)('sync on $kind', (target: KvTarget) => {
  let s: StartedKv;
  beforeAll(async () => {
    s = await startKv(target.settings());
  });
  afterAll(() => s.stop());

  it('misses nothing a concurrent writer writes between the list and the watch', async () => {
    const { kv } = s;
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing || written < 200) {
        const n = written++;
        if (n % 7 === 0) await kv.delete(`/s1/${(n + 3) % 40}`);
        else await kv.put(`/s1/${n % 40}`, n);
      }
    })();
    while (written < 20) await kv.revision();

    const view = new Map<string, unknown>();
    const revisions: number[] = [];
    let seen = 0;
    let target = Infinity;
    const wait = until(() => seen >= target);
    const sync = await kv.sync('/s1/', {
      onResync(snapshot, revision) {
        view.clear();
        for (const e of snapshot) view.set(e.key, e.value);
        seen = revision;
        wait.poke();
      },
      onChange(e) {
        revisions.push(e.revision);
        if (e.type === 'put') view.set(e.key, e.value);
        else view.delete(e.key);
        seen = e.revision;
        wait.poke();
      },
    });
    writing = false;
    await writer;
    target = await kv.revision();
    wait.poke();
    await wait.done;
    const server = new Map((await collect(kv.list('/s1/'))).map((e) => [e.key, e.value]));
    expect(view).toEqual(server);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(revisions.length).toBeGreaterThan(0);
    await sync.close();
  });

  it('hands on the rest of a transaction after onChange throws on one of its changes', async () => {
    const { kv } = s;
    const seen: string[] = [];
    const wait = until(() => seen.includes('/s2/z'));
    const sync = await kv.sync('/s2/', {
      onResync: () => undefined,
      onChange(e) {
        seen.push(e.key);
        wait.poke();
        if (e.key === '/s2/a') throw new Error('a bug in the handler');
      },
    });
    await kv.transaction({
      then: [
        { put: '/s2/a', value: 1 },
        { put: '/s2/b', value: 2 },
      ],
    });
    await kv.put('/s2/z', 3);
    await wait.done;
    expect(seen).toEqual(['/s2/a', '/s2/b', '/s2/z']);
    await sync.close();
  });
});
