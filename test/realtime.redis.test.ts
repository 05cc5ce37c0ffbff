import type { SubscribedContext } from 'centrifuge';
import { createClient } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import {
  client,
  connected,
  RealtimeFlavor,
  SECRET,
  subscribed,
  subscribedOnBoth,
  token,
  until,
} from './helpers/realtime.js';
import { ownRedis, shared, suffix } from './helpers/servers.js';

const prefix = `test-realtime-${suffix()}`;

function replica(port = 0, checkLeaks = true) {
  return testAgent(new RealtimeFlavor(), {
    config: {
      realtime: { tokenSecret: SECRET, broker: shared.redis.url, redisPrefix: prefix },
      http: { port },
    },
    checkLeaks,
  });
}

afterAll(async () => {
  const redis = createClient({ url: shared.redis.url });
  await redis.connect();
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}:*` })) keys.push(...batch);
  if (keys.length > 0) await redis.del(keys);
  await redis.close();
});

describe('realtime: two replicas share channels through Redis', () => {
  it('fans a publish on one replica out to subscribers of both', async () => {
    const one = await replica();
    const two = await replica();
    const { a, b } = await subscribedOnBoth(
      one.flavor.rpc.http.address().port,
      two.flavor.rpc.http.address().port,
      'chat:both',
    );
    await one.flavor.realtime.publish('chat:both', 'from one');
    await b.sub.publish('from bob');
    await until(a.sub, ['publication'], () => a.received.length === 2);
    await until(b.sub, ['publication'], () => b.received.length === 2);
    expect(a.received).toEqual(['from one', 'from bob']);
    expect(b.received).toEqual(['from one', 'from bob']);
  });

  it('shares history and presence, and join and leave cross replicas', async () => {
    const one = await replica();
    const two = await replica();
    for (const n of [1, 2, 3]) await one.flavor.realtime.publish('chat:shared', n);
    const history = await two.flavor.realtime.history('chat:shared');
    expect(history.publications.map((p) => [p.offset, p.data])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    const alice = await connected(one.flavor.rpc.http.address().port, 'alice');
    const a = await subscribed(alice, 'chat:shared');
    const joined: string[] = [];
    a.sub.on('join', (ctx) => joined.push(ctx.info.user));
    const bob = await connected(two.flavor.rpc.http.address().port, 'bob');
    const b = await subscribed(bob, 'chat:shared');
    await until(a.sub, ['join'], () => joined.includes('bob'));
    const users = Object.values(await one.flavor.realtime.presence('chat:shared')).map(
      (p) => p.user,
    );
    expect(users.sort()).toEqual(['alice', 'bob']);
    expect(await b.sub.presenceStats()).toEqual({ numClients: 2, numUsers: 2 });
    const clientHistory = await b.sub.history({ limit: 10 });
    expect(clientHistory.publications.map((p) => p.data)).toEqual([1, 2, 3]);
  });

  it('disconnects a user on every replica', async () => {
    const one = await replica();
    const two = await replica();
    const bob = await connected(two.flavor.rpc.http.address().port, 'bob');
    const gone = new Promise<{ code: number }>((resolve) => bob.on('disconnected', resolve));
    await one.flavor.realtime.disconnect('bob');
    expect((await gone).code).toBe(3503);
  });

  it('recovers a client from Redis history after its replica restarts', async () => {
    const other = await replica();
    const first = await replica(0, false);
    const port = first.flavor.rpc.http.address().port;
    const c = client(port, { token: await token('alice') });
    c.connect();
    const sub = c.newSubscription('chat:restart');
    const received: unknown[] = [];
    const subscribes: SubscribedContext[] = [];
    sub.on('publication', (ctx) => received.push(ctx.data));
    sub.on('subscribed', (ctx) => subscribes.push(ctx));
    sub.subscribe();
    await sub.ready(5_000);
    await other.flavor.realtime.publish('chat:restart', 1);
    await until(sub, ['publication'], () => received.length === 1);
    const away = new Promise((resolve) => c.once('connecting', resolve));
    await first.stop();
    await away;
    for (const n of [2, 3]) await other.flavor.realtime.publish('chat:restart', n);
    await replica(port);
    await until(sub, ['subscribed'], () => subscribes.length === 2, 10_000);
    expect(subscribes[1]).toMatchObject({ wasRecovering: true, recovered: true });
    await until(sub, ['publication'], () => received.length === 3);
    expect(received).toEqual([1, 2, 3]);
    c.disconnect();
  });
});

describe('realtime: a lost Redis shows in the status check', () => {
  it('turns the plugin error and readiness 503 while Redis is down, and recovers', async () => {
    const redis = await ownRedis();
    try {
      const t = await testAgent(new RealtimeFlavor(), {
        config: {
          realtime: { tokenSecret: SECRET, broker: `redis://127.0.0.1:${redis.port}` },
        },
      });
      const status = t.flavor.rpc.local.statusCheck;
      const state = () => status.agentStatus().plugins.realtime?.state;
      const changed = (want: string) =>
        new Promise<void>((resolve) => {
          const off = status.on('change', () => {
            if (state() !== want) return;
            off();
            resolve();
          });
        });
      const down = changed('error');
      await redis.kill();
      await down;
      expect((await t.request('GET', '/readiness')).status).toBe(503);
      const up = changed('ok');
      await redis.restart();
      await up;
      expect((await t.request('GET', '/readiness')).status).toBe(200);
      await t.stop();
    } finally {
      await redis.stop();
    }
  });
});
