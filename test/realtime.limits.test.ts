import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { testAgent } from '../src/testing/index.js';
import { connected, RealtimeFlavor, SECRET, subscribed, token, until } from './helpers/realtime.js';

async function agent(realtime: Record<string, unknown> = {}) {
  const t = await testAgent(new RealtimeFlavor(), {
    config: { realtime: { tokenSecret: SECRET, ...realtime } },
  });
  return { t, port: t.flavor.rpc.http.address().port, realtime: t.flavor.realtime };
}

/** A bare WebSocket speaking the protocol by hand. */
async function raw(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`);
  const frames: string[] = [];
  ws.on('message', (data: Buffer) => frames.push(data.toString()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  ws.on('error', () => undefined);
  await once(ws, 'open');
  return { ws, frames, closed };
}

async function rawConnected(port: number, user = 'mallory') {
  const c = await raw(port);
  c.ws.send(JSON.stringify({ id: 1, connect: { token: await token(user) } }));
  await until(c.ws, ['message'], () => c.frames.length > 0);
  return c;
}

describe('realtime: hostile frames are refused without harming others', () => {
  const hostile: Array<[string, string | Buffer]> = [
    ['a frame that is not JSON', '{"id":1,"connect":'],
    ['JSON that is not an object', '[1,2,3]'],
    ['null', 'null'],
    ['an unknown command', '{"id":2,"launch":{}}'],
    [
      'two methods in one command',
      '{"id":2,"subscribe":{"channel":"a"},"publish":{"channel":"a"}}',
    ],
    ['a command without an id', '{"subscribe":{"channel":"chat:x"}}'],
    ['a negative id', '{"id":-4,"subscribe":{"channel":"chat:x"}}'],
    ['an over-long channel name', `{"id":2,"subscribe":{"channel":"chat:${'x'.repeat(300)}"}}`],
    ['a channel that is not a string', '{"id":2,"subscribe":{"channel":{"$gt":""}}}'],
    ['a binary frame', Buffer.from([0, 1, 2, 3])],
  ];

  it.each(hostile)('closes a connection that sends %s with 3501 bad request', async (_, frame) => {
    const { realtime, port } = await agent();
    const alice = await connected(port, 'alice');
    const { sub, received } = await subscribed(alice, 'chat:calm');
    const m = await rawConnected(port);
    m.ws.send(frame);
    expect(await m.closed).toEqual({ code: 3501, reason: 'bad request' });
    await realtime.publish('chat:calm', 'still here');
    await until(sub, ['publication'], () => received.length === 1);
    expect(realtime.stats().connections).toBe(1);
  });

  it('refuses commands before connect', async () => {
    const { port } = await agent();
    const m = await raw(port);
    m.ws.send('{"id":1,"subscribe":{"channel":"chat:x"}}');
    expect((await m.closed).code).toBe(3501);
  });

  it('closes a connection that sends no connect command in time with 3502 stale', async () => {
    const { port, realtime } = await agent({ connectTimeout: 200 });
    const m = await raw(port);
    expect(await m.closed).toEqual({ code: 3502, reason: 'stale' });
    expect(realtime.stats().connections).toBe(0);
  });

  it('closes a connection that sends a frame over the size limit (1009)', async () => {
    const { port } = await agent({ maxMessageSize: 1024 });
    const m = await rawConnected(port);
    m.ws.send(JSON.stringify({ id: 2, publish: { channel: 'chat:x', data: 'x'.repeat(5000) } }));
    expect((await m.closed).code).toBe(1009);
  });

  it('answers several commands in one frame, one per line', async () => {
    const { port } = await agent();
    const m = await raw(port);
    const connect = JSON.stringify({ id: 1, connect: { token: await token('bob') } });
    const subscribe = JSON.stringify({ id: 2, subscribe: { channel: 'chat:batch' } });
    m.ws.send(`${connect}\n${subscribe}\n`);
    await until(m.ws, ['message'], () => m.frames.join('\n').includes('"id":2'));
    const replies = m.frames.flatMap((f) => f.split('\n')).map((l) => JSON.parse(l));
    expect(replies[0]).toMatchObject({ id: 1, connect: { ping: 25, pong: true } });
    expect(replies[1]).toMatchObject({ id: 2, subscribe: { recoverable: true } });
  });
});

describe('realtime: limits are clear refusals', () => {
  it('refuses a subscription past the channels per client with 106', async () => {
    const { port } = await agent({ channelsPerClient: 2 });
    const c = await connected(port, 'alice');
    await subscribed(c, 'chat:1');
    await subscribed(c, 'chat:2');
    const third = c.newSubscription('chat:3');
    const codes: number[] = [];
    third.on('unsubscribed', (ctx) => codes.push(ctx.code));
    third.subscribe();
    await until(third, ['unsubscribed'], () => codes.length > 0);
    expect(codes).toEqual([106]);
  });

  it('disconnects a connection past the connections per user with 3504', async () => {
    const { port } = await agent({ connectionsPerUser: 1 });
    await connected(port, 'alice');
    const second = await raw(port);
    second.ws.send(JSON.stringify({ id: 1, connect: { token: await token('alice') } }));
    expect(await second.closed).toEqual({ code: 3504, reason: 'connection limit' });
    await expect(connected(port, 'bob')).resolves.toBeDefined();
  });

  it('answers 503 to an upgrade past the total connections', async () => {
    const { port } = await agent({ maxConnections: 1 });
    await connected(port, 'alice');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/connection/websocket`);
    ws.on('error', () => undefined);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(res.statusCode).toBe(503);
    ws.terminate();
  });

  it('drops a client that stops reading with 3008 slow, and keeps serving the others', async () => {
    const { t, port, realtime } = await agent({ sendBufferLimit: 65_536 });
    const healthy = await connected(port, 'alice');
    const { sub, received } = await subscribed(healthy, 'chat:flood');
    const slow = await rawConnected(port, 'sloth');
    slow.ws.send(JSON.stringify({ id: 2, subscribe: { channel: 'chat:flood' } }));
    await until(slow.ws, ['message'], () => slow.frames.some((f) => f.includes('"id":2')));
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(32_768);
    let n = 0;
    while (realtime.stats().slowDisconnects === 0 && n < 2_000) {
      await realtime.publish('chat:flood', { n: n++, big });
      // let the sockets be written and the healthy client read
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(realtime.stats().slowDisconnects).toBe(1);
    await until(sub, ['publication'], () => received.length === n, 10_000);
    expect(realtime.stats().connections).toBe(1);
    const metrics = await t.request<string>('GET', '/metrics');
    expect(metrics.body).toMatch(/realtime_slow_disconnects_total 1/);
    slow.ws.terminate();
    await slow.closed;
  });

  it('drops a client that stops reading but keeps asking for history, before replies pile up', async () => {
    const { port, realtime } = await agent({ sendBufferLimit: 65_536 });
    const big = 'x'.repeat(30_000);
    for (let n = 0; n < 10; n++) await realtime.publish('chat:big', { n, big });
    const slow = await rawConnected(port, 'sloth');
    slow.ws.send(JSON.stringify({ id: 2, subscribe: { channel: 'chat:big' } }));
    await until(slow.ws, ['message'], () => slow.frames.some((f) => f.includes('"id":2')));
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    let sent = 2;
    while (realtime.stats().slowDisconnects === 0 && sent < 2_000) {
      sent += 1;
      slow.ws.send(JSON.stringify({ id: sent + 1, history: { channel: 'chat:big', limit: 10 } }));
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    // each reply is 300 kB: the limit is passed by the first, not after 2,000 (600 MB)
    expect(realtime.stats().slowDisconnects).toBe(1);
    expect(sent).toBeLessThan(50);
    expect(realtime.stats().connections).toBe(0);
    slow.ws.terminate();
    await slow.closed;
  });
});
