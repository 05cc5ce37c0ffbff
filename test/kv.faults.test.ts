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

// the test's own servers, which it kills and restarts
const targets = (await kvTargets(true)).filter((t) => t.server);
afterAll(() => stopTargets(targets));

describe.each(targets)('a watch on $kind through a server restart', (target: KvTarget) => {
  let s: StartedKv;
  beforeAll(async () => {
    s = await startKv({ ...target.settings(), requestTimeout: 1_000 });
  });
  afterAll(() => s.stop());

  it("ends with the watcher's view equal to the server's after 1,000 writes with a kill and restart between", async () => {
    const { kv } = s;
    const server = target.server!;
    const view = new Map<string, unknown>();
    const revisions: number[] = [];
    let resyncs = 0;
    let seen = 0;
    let target_ = Infinity;
    const wait = until(() => seen >= target_);
    const sync = await kv.sync('/f/', {
      onResync(snapshot, revision) {
        resyncs++;
        view.clear();
        for (const e of snapshot) view.set(e.key, e.value);
        seen = revision;
        revisions.length = 0;
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

    let failures = 0;
    let outage: Promise<void> | undefined;
    for (let i = 0; i < 1_000; i++) {
      if (i === 300) outage = server.kill().then(() => server.restart());
      for (;;) {
        try {
          if (i % 10 === 9) await kv.delete(`/f/${(i * 7) % 60}`);
          else await kv.put(`/f/${i % 60}`, i);
          break;
        } catch {
          failures++;
          await outage;
          // the client reconnects on its own; yield to it between attempts
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    await outage;
    expect(failures).toBeGreaterThan(0);

    target_ = await kv.revision();
    wait.poke();
    await wait.done;
    const stored = new Map((await collect(kv.list('/f/'))).map((e) => [e.key, e.value]));
    expect(view).toEqual(stored);
    // after the last snapshot every revision came once, in order
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    // redis runs without persistence here: the restart loses the data, which only a resync can show
    if (target.kind === 'redis') expect(resyncs).toBeGreaterThan(1);
    await sync.close();
  });
});
