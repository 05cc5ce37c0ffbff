import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTs } from './helpers/child.js';
import { kvTargets, startKv, stopTargets, type KvTarget, type StartedKv } from './helpers/kv.js';

const targets = await kvTargets();
afterAll(() => stopTargets(targets));
const holder = fileURLToPath(new URL('./fixtures/kv-holder.ts', import.meta.url));

describe.each(targets)('locks and elections on $kind', (target: KvTarget) => {
  let s: StartedKv;
  const settings = target.settings();
  beforeAll(async () => {
    s = await startKv(settings);
  });
  afterAll(() => s.stop());

  it('gives a lock to one holder at a time, with a fencing token that grows', async () => {
    const first = await s.kv.lock('jobs', { ttl: 2_000 });
    let second: Awaited<ReturnType<typeof s.kv.lock>> | undefined;
    const waiting = s.kv.lock('jobs', { ttl: 2_000 }).then((l) => (second = l));
    await s.kv.put('/unrelated', 1);
    expect(second).toBeUndefined();
    await first.release();
    expect(first.held).toBe(false);
    await waiting;
    expect(second!.token).toBeGreaterThan(first.token);
    await second!.release();
  });

  it('stops waiting for a lock when the signal aborts', async () => {
    const held = await s.kv.lock('busy', { ttl: 2_000 });
    const controller = new AbortController();
    const waiting = s.kv.lock('busy', { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toThrow();
    await held.release();
  });

  it('elects one of two candidates, and the other when the leader resigns', async () => {
    const a = s.kv.election('two');
    const b = s.kv.election('two');
    const changes: Array<string | undefined> = [];
    let heardB!: () => void;
    const aHeardB = new Promise<void>((r) => (heardB = r));
    a.on('change', (leader) => {
      changes.push(leader);
      if (leader === 'b') heardB();
    });
    await a.campaign('a', { ttl: 2_000 });
    let bElected = false;
    const bCampaign = b.campaign('b', { ttl: 2_000 }).then(() => (bElected = true));
    expect(await a.leader()).toBe('a');
    expect(bElected).toBe(false);
    let lost!: () => void;
    const aLost = new Promise<void>((r) => (lost = r));
    a.on('lost', () => lost());
    await a.resign();
    await aLost;
    await bCampaign;
    // the former leader hears of its successor (the watch event arrives on its own time)
    await aHeardB;
    expect(await b.leader()).toBe('b');
    expect(a.leading).toBe(false);
    expect(b.leading).toBe(true);
    await b.resign();
    await a.close();
    await b.close();
    expect(changes).toContain('b');
  });

  it('tells a leader that lost its lease', async () => {
    const e = s.kv.election('taken');
    await e.campaign('me', { ttl: 1_500 });
    let lost!: () => void;
    const heard = new Promise<void>((r) => (lost = r));
    e.on('lost', () => lost());
    // someone else takes the key, as after an expiry the leader did not notice
    await s.kv.put('/_elections/taken', { id: 'usurper' });
    await heard;
    expect(e.leading).toBe(false);
    await e.close();
  });

  it('rejects a lock and a campaign still waiting when the agent stops, as closed', async () => {
    const own = await startKv(target.settings());
    await own.kv.lock('stopping', { ttl: 5_000 });
    const waiting = own.kv.lock('stopping', { ttl: 5_000 }).catch((e: unknown) => e);
    const leader = own.kv.election('stopping');
    await leader.campaign('first', { ttl: 5_000 });
    const campaign = own.kv
      .election('stopping')
      .campaign('second', { ttl: 5_000 })
      .catch((e: unknown) => e);
    await own.kv.put('/after-the-waits', 1);
    await own.stop();
    expect(await waiting).toMatchObject({ code: 'FK_KV', reason: 'closed' });
    expect(await campaign).toMatchObject({ code: 'FK_KV', reason: 'closed' });
  });

  describe.skipIf(target.kind === 'memory')('with a second process', () => {
    const env = () => ({
      KV_URL: String(settings.url),
      KV_NAMESPACE: String(settings.namespace),
    });

    it('passes the lock on after its TTL when the holder is killed', async () => {
      const child = runTs(holder, ['lock', 'crash'], env());
      await child.waitFor(/^locked \d+$/);
      const token = Number(/locked (\d+)/.exec(child.output())![1]);
      const waiting = s.kv.lock('crash', { ttl: 2_000 });
      child.proc.kill('SIGKILL');
      await child.exited;
      const lock = await waiting;
      expect(lock.token).toBeGreaterThan(token);
      await lock.release();
    });

    it('elects the waiting candidate when the leader crashes', async () => {
      const child = runTs(holder, ['elect', 'crashing'], env());
      await child.waitFor('leading');
      const election = s.kv.election('crashing');
      const leaders: Array<string | undefined> = [];
      election.on('change', (leader) => leaders.push(leader));
      expect(await election.leader()).toBe('child');
      const campaign = election.campaign('parent', { ttl: 2_000 });
      child.proc.kill('SIGKILL');
      await campaign;
      expect(await election.leader()).toBe('parent');
      expect(leaders.at(-1)).toBe('parent');
      await election.close();
    });
  });
});
