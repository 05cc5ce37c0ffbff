import { describe, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import {
  client,
  connected,
  RealtimeFlavor,
  SECRET,
  subscribed,
  token,
  until,
} from './helpers/realtime.js';

async function agent() {
  const t = await testAgent(new RealtimeFlavor(), {
    config: { realtime: { tokenSecret: SECRET } },
  });
  return { t, port: t.flavor.rpc.http.address().port, realtime: t.flavor.realtime };
}

describe('realtime: the Centrifuge client speaks to the plugin', () => {
  it('connects with a token, subscribes and receives server publications with offsets', async () => {
    const { port, realtime } = await agent();
    const c = await connected(port, 'alice');
    const sub = c.newSubscription('chat:room');
    const offsets: number[] = [];
    const data: unknown[] = [];
    sub.on('publication', (ctx) => {
      data.push(ctx.data);
      offsets.push(ctx.offset ?? -1);
    });
    sub.subscribe();
    await sub.ready(5_000);
    const position = await realtime.publish('chat:room', { text: 'one' });
    await realtime.publish('chat:room', { text: 'two' });
    await until(sub, ['publication'], () => data.length === 2);
    expect(data).toEqual([{ text: 'one' }, { text: 'two' }]);
    expect(offsets).toEqual([1, 2]);
    expect(position?.offset).toBe(1);
    expect(realtime.stats()).toMatchObject({ connections: 1, subscriptions: 1 });
  });

  it('delivers publications of every frame length intact: short, 16-bit and 64-bit lengths', async () => {
    const { port, realtime } = await agent();
    const c = await connected(port, 'alice');
    const { sub, received } = await subscribed(c, 'chat:sizes');
    const texts = [1, 125, 126, 65_535, 65_536, 200_000].map((n) => 'é'.repeat(n));
    for (const text of texts) await realtime.publish('chat:sizes', { text });
    await until(sub, ['publication'], () => received.length === texts.length);
    expect(received).toEqual(texts.map((text) => ({ text })));
  });

  it('delivers a client publish to the other subscribers, with the publisher info', async () => {
    const { port } = await agent();
    const alice = await connected(port, 'alice');
    const bob = await connected(port, 'bob');
    const a = await subscribed(alice, 'chat:room');
    const infos: string[] = [];
    const b = await subscribed(bob, 'chat:room');
    b.sub.on('publication', (ctx) => infos.push(ctx.info?.user ?? ''));
    await a.sub.publish({ text: 'hi' });
    await until(b.sub, ['publication'], () => b.received.length === 1);
    expect(b.received).toEqual([{ text: 'hi' }]);
    expect(infos).toEqual(['alice']);
  });

  it('returns history to the client and to server code', async () => {
    const { port, realtime } = await agent();
    for (let i = 1; i <= 5; i++) await realtime.publish('chat:log', { i });
    const c = await connected(port, 'alice');
    const { sub } = await subscribed(c, 'chat:log');
    const all = await sub.history({ limit: -1 });
    expect(all.publications.map((p) => p.data)).toEqual([1, 2, 3, 4, 5].map((i) => ({ i })));
    expect(all.offset).toBe(5);
    const since = await sub.history({ since: { offset: 3, epoch: all.epoch }, limit: 10 });
    expect(since.publications.map((p) => p.offset)).toEqual([4, 5]);
    const fromServer = await realtime.history('chat:log', { limit: 2 });
    expect(fromServer.publications.map((p) => p.offset)).toEqual([1, 2]);
  });

  it('keeps presence and sends join and leave pushes', async () => {
    const { port, realtime } = await agent();
    const alice = await connected(port, 'alice');
    const a = await subscribed(alice, 'chat:room');
    const joined: string[] = [];
    const left: string[] = [];
    a.sub.on('join', (ctx) => joined.push(ctx.info.user));
    a.sub.on('leave', (ctx) => left.push(ctx.info.user));
    const bob = await connected(port, 'bob');
    const b = await subscribed(bob, 'chat:room');
    await until(a.sub, ['join'], () => joined.includes('bob'));
    const presence = await a.sub.presence();
    expect(
      Object.values(presence.clients)
        .map((p) => p.user)
        .sort(),
    ).toEqual(['alice', 'bob']);
    expect(await a.sub.presenceStats()).toEqual({ numClients: 2, numUsers: 2 });
    expect(Object.keys(await realtime.presence('chat:room'))).toHaveLength(2);
    b.sub.unsubscribe();
    await until(a.sub, ['leave'], () => left.includes('bob'));
  });

  it('refuses with protocol codes: bad token, unknown namespace, denied channel, publish not allowed', async () => {
    const { port } = await agent();
    const bad = client(port, { token: 'not-a-jwt' });
    const disconnected = new Promise<{ code: number; reason: string }>((resolve) =>
      bad.on('disconnected', resolve),
    );
    bad.connect();
    expect(await disconnected).toMatchObject({ code: 3500, reason: 'invalid token' });

    const c = await connected(port, 'alice');
    const unknown = c.newSubscription('nope:x');
    const errors: number[] = [];
    unknown.on('unsubscribed', (ctx) => errors.push(ctx.code));
    unknown.subscribe();
    await until(unknown, ['unsubscribed'], () => errors.length > 0);
    expect(errors[0]).toBe(102);

    const { sub } = await subscribed(c, 'private:alice');
    const denied = c.newSubscription('private:bob');
    const deniedCodes: number[] = [];
    denied.on('unsubscribed', (ctx) => deniedCodes.push(ctx.code));
    denied.subscribe();
    await until(denied, ['unsubscribed'], () => deniedCodes.includes(103));
    await expect(sub.publish({ x: 1 })).rejects.toMatchObject({ code: 103 });
  });

  it('refuses a connection without a token unless anonymous connections are on', async () => {
    const { port } = await agent();
    const c = client(port);
    const disconnected = new Promise<{ code: number }>((resolve) => c.on('disconnected', resolve));
    c.connect();
    expect((await disconnected).code).toBe(101);
  });

  it('sends the shutdown disconnect with a reconnect hint when the agent stops', async () => {
    const { t, port } = await agent();
    const c = await connected(port, 'alice');
    const connecting = new Promise<{ code: number; reason: string }>((resolve) =>
      c.on('connecting', resolve),
    );
    await t.stop();
    // the client goes back to connecting (it will reconnect), with the server's code
    expect(await connecting).toMatchObject({ code: 3001, reason: 'shutdown' });
    c.disconnect();
  });

  it('shows its figures in the metrics', async () => {
    const { t, port } = await agent();
    const c = await connected(port, 'alice');
    await subscribed(c, 'chat:m');
    const metrics = await t.request<string>('GET', '/metrics');
    expect(metrics.body).toMatch(/realtime_connections 1/);
    expect(metrics.body).toMatch(/realtime_subscriptions 1/);
    expect(metrics.body).toMatch(/realtime_messages_in_total [1-9]/);
  });

  it('refreshes an expiring token through getToken and stays connected', async () => {
    const { port } = await agent();
    let asked!: () => void;
    const refreshAsked = new Promise<void>((resolve) => (asked = resolve));
    const c = client(port, {
      token: await token('alice', {}, '2s'),
      getToken: async () => {
        asked();
        return token('alice');
      },
    });
    c.connect();
    await c.ready(5_000);
    await refreshAsked;
    const { sub } = await subscribed(c, 'chat:after-refresh');
    expect(sub.state).toBe('subscribed');
    expect(c.state).toBe('connected');
  });
});
