import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryBroker,
  RedisBroker,
  type Broker,
  type BrokerHandler,
  type ClientInfo,
  type Publication,
} from '../plugins/realtime/index.js';
import { shared, suffix } from './helpers/servers.js';

const prefix = `test-realtime-broker-${suffix()}`;
const stream = { size: 3, ttlMs: 60_000 };

interface Seen {
  pubs: Array<[string, Publication]>;
  joins: Array<[string, string, ClientInfo]>;
  control: unknown[];
}

function recorder(): { handler: BrokerHandler; seen: Seen; next: (n: number) => Promise<void> } {
  const seen: Seen = { pubs: [], joins: [], control: [] };
  const waiters: Array<() => void> = [];
  const notify = () => waiters.splice(0).forEach((w) => w());
  const count = () => seen.pubs.length + seen.joins.length + seen.control.length;
  return {
    seen,
    handler: {
      publication: (ch, p) => (seen.pubs.push([ch, p]), notify()),
      join: (ch, info) => (seen.joins.push([ch, 'join', info]), notify()),
      leave: (ch, info) => (seen.joins.push([ch, 'leave', info]), notify()),
      control: (m) => (seen.control.push(m), notify()),
    },
    next: async (n) => {
      while (count() < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
  };
}

const backends: Array<[string, () => Broker]> = [
  ['memory', () => new MemoryBroker()],
  [
    'redis',
    () =>
      new RedisBroker({
        client: createClient({ url: shared.redis.url }),
        prefix: `${prefix}:${suffix()}`,
        owned: true,
      }),
  ],
];

afterAll(async () => {
  const redis = createClient({ url: shared.redis.url });
  await redis.connect();
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*` })) keys.push(...batch);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

describe.each(backends)('realtime broker conformance: %s', (_, make) => {
  async function started() {
    const broker = make();
    const r = recorder();
    await broker.start(r.handler);
    return { broker, ...r, [Symbol.asyncDispose]: () => broker.close() };
  }

  it('numbers publications with offsets in one epoch and delivers them to subscribed channels', async () => {
    await using b = await started();
    await b.broker.subscribe('a');
    const first = await b.broker.publish('a', { data: 1 }, stream);
    const second = await b.broker.publish('a', { data: 2 }, stream);
    expect(first?.offset).toBe(1);
    expect(second).toEqual({ offset: 2, epoch: first?.epoch });
    await b.broker.publish('b', { data: 'not subscribed' }, stream);
    await b.next(2);
    expect(b.seen.pubs).toEqual([
      ['a', { data: 1, offset: 1 }],
      ['a', { data: 2, offset: 2 }],
    ]);
    expect(await b.broker.publish('a', { data: 'no stream' })).toBeUndefined();
  });

  it('keeps the newest publications up to the size; reads since, limit and reverse', async () => {
    await using b = await started();
    for (const n of [1, 2, 3, 4, 5]) await b.broker.publish('h', { data: n }, stream);
    const all = await b.broker.history('h', {});
    expect(all.offset).toBe(5);
    expect(all.publications.map((p) => p.offset)).toEqual([3, 4, 5]);
    const since = await b.broker.history('h', { since: { offset: 3, epoch: all.epoch } });
    expect(since.publications.map((p) => p.offset)).toEqual([4, 5]);
    const otherEpoch = await b.broker.history('h', { since: { offset: 3, epoch: 'other' } });
    expect(otherEpoch.publications).toEqual([]);
    expect((await b.broker.history('h', { limit: 0 })).publications).toEqual([]);
    const reverse = await b.broker.history('h', { reverse: true, limit: 2 });
    expect(reverse.publications.map((p) => p.offset)).toEqual([5, 4]);
    const empty = await b.broker.history('never', { limit: 0 });
    expect(empty.offset).toBe(0);
    expect((await b.broker.history('never', {})).epoch).toBe(empty.epoch);
  });

  it('keeps presence per channel, and sends join, leave and control messages', async () => {
    await using b = await started();
    await b.broker.subscribe('p');
    const alice = { user: 'alice', client: 'c1' };
    const bob = { user: 'bob', client: 'c2', conn_info: { name: 'Bob' } };
    await b.broker.addPresence('p', alice, 60_000);
    await b.broker.addPresence('p', bob, 60_000);
    expect(await b.broker.presence('p')).toEqual({ c1: alice, c2: bob });
    await b.broker.removePresence('p', 'c1');
    expect(await b.broker.presence('p')).toEqual({ c2: bob });
    await b.broker.joinLeave('p', 'join', alice);
    await b.broker.joinLeave('p', 'leave', alice);
    await b.broker.control({ type: 'disconnect', user: 'bob' });
    await b.next(3);
    expect(b.seen.joins).toEqual([
      ['p', 'join', alice],
      ['p', 'leave', alice],
    ]);
    expect(b.seen.control).toEqual([{ type: 'disconnect', user: 'bob' }]);
  });

  it('stops delivering a channel after unsubscribe', async () => {
    await using b = await started();
    await b.broker.subscribe('u');
    await b.broker.subscribe('v');
    await b.broker.unsubscribe('u');
    await b.broker.publish('u', { data: 'dropped' });
    await b.broker.publish('v', { data: 'kept' });
    await b.next(1);
    expect(b.seen.pubs).toEqual([['v', { data: 'kept' }]]);
  });
});
