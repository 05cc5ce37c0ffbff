import type { Centrifuge, SubscribedContext, Subscription } from 'centrifuge';
import { describe, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import { client, cuttableProxy, RealtimeFlavor, SECRET, token, until } from './helpers/realtime.js';

async function setUp() {
  const t = await testAgent(new RealtimeFlavor(), {
    config: { realtime: { tokenSecret: SECRET } },
  });
  const proxy = await cuttableProxy(t.flavor.rpc.http.address().port);
  const c = client(proxy.port, { token: await token('alice') });
  c.connect();
  await c.ready(5_000);
  return { realtime: t.flavor.realtime, proxy, c };
}

function watch(c: Centrifuge, channel: string) {
  const sub = c.newSubscription(channel);
  const received: Array<{ data: unknown; offset: number | undefined }> = [];
  const subscribes: SubscribedContext[] = [];
  sub.on('publication', (ctx) => received.push({ data: ctx.data, offset: ctx.offset }));
  sub.on('subscribed', (ctx) => subscribes.push(ctx));
  sub.subscribe();
  return { sub, received, subscribes };
}

async function cutAndReconnect(
  proxy: Awaited<ReturnType<typeof cuttableProxy>>,
  c: Centrifuge,
  sub: Subscription,
  subscribes: SubscribedContext[],
  whileAway: () => Promise<void>,
) {
  const before = subscribes.length;
  const away = new Promise((resolve) => c.once('connecting', resolve));
  proxy.cut();
  await away;
  await whileAway();
  proxy.resume();
  await until(sub, ['subscribed'], () => subscribes.length > before);
  return subscribes.at(-1) as SubscribedContext;
}

describe('realtime: recovery after a lost connection', () => {
  it('gives a client exactly what it missed while its socket was cut', async () => {
    const { realtime, proxy, c } = await setUp();
    const { sub, received, subscribes } = watch(c, 'chat:recover');
    await sub.ready(5_000);
    await realtime.publish('chat:recover', 1);
    await realtime.publish('chat:recover', 2);
    await until(sub, ['publication'], () => received.length === 2);

    const ctx = await cutAndReconnect(proxy, c, sub, subscribes, async () => {
      for (const n of [3, 4, 5]) await realtime.publish('chat:recover', n);
    });
    expect(ctx).toMatchObject({ wasRecovering: true, recovered: true });
    await until(sub, ['publication'], () => received.length >= 5);
    await realtime.publish('chat:recover', 6);
    await until(sub, ['publication'], () => received.length >= 6);
    expect(received.map((r) => r.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(received.map((r) => r.offset)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('recovers with nothing missed', async () => {
    const { realtime, proxy, c } = await setUp();
    const { sub, received, subscribes } = watch(c, 'chat:quiet');
    await sub.ready(5_000);
    await realtime.publish('chat:quiet', 1);
    await until(sub, ['publication'], () => received.length === 1);
    const ctx = await cutAndReconnect(proxy, c, sub, subscribes, async () => undefined);
    expect(ctx).toMatchObject({ wasRecovering: true, recovered: true });
    expect(received).toHaveLength(1);
  });

  it('tells the client recovery failed when the history no longer covers the gap', async () => {
    const { realtime, proxy, c } = await setUp();
    const { sub, received, subscribes } = watch(c, 'short:gap');
    await sub.ready(5_000);
    await realtime.publish('short:gap', 1);
    await until(sub, ['publication'], () => received.length === 1);
    const ctx = await cutAndReconnect(proxy, c, sub, subscribes, async () => {
      for (const n of [2, 3, 4]) await realtime.publish('short:gap', n);
    });
    // history keeps 2 publications: 3 and 4; 2 is lost, so nothing is replayed
    expect(ctx).toMatchObject({ wasRecovering: true, recovered: false });
    expect(received.map((r) => r.data)).toEqual([1]);
    await realtime.publish('short:gap', 5);
    await until(sub, ['publication'], () => received.length === 2);
    expect(received.at(-1)).toEqual({ data: 5, offset: 5 });
  });

  it('tells the client recovery failed when the stream epoch changed', async () => {
    // the client in this process starts reconnecting from the first agent's stop,
    // which the leak check would count as the plugin's timer
    const first = await testAgent(new RealtimeFlavor(), {
      config: { realtime: { tokenSecret: SECRET } },
      checkLeaks: false,
    });
    const port = first.flavor.rpc.http.address().port;
    const c = client(port, { token: await token('alice') });
    c.connect();
    const { sub, received, subscribes } = watch(c, 'chat:epoch');
    await sub.ready(5_000);
    await first.flavor.realtime.publish('chat:epoch', 1);
    await until(sub, ['publication'], () => received.length === 1);
    const away = new Promise((resolve) => c.once('connecting', resolve));
    await first.stop();
    await away;
    // a new agent on the same port: memory history starts a new epoch
    const second = await testAgent(new RealtimeFlavor(), {
      config: { realtime: { tokenSecret: SECRET }, http: { port } },
    });
    await until(sub, ['subscribed'], () => subscribes.length === 2, 10_000);
    expect(subscribes[1]).toMatchObject({ wasRecovering: true, recovered: false });
    await second.flavor.realtime.publish('chat:epoch', 'new');
    await until(sub, ['publication'], () => received.length === 2);
    expect(received[1]).toEqual({ data: 'new', offset: 1 });
    c.disconnect();
  });
});
