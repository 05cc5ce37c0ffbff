import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { Centrifuge, type Subscription } from 'centrifuge';
import { SignJWT } from 'jose';
import { onTestFinished } from 'vitest';
import { WebSocket } from 'ws';
import { Embed, Flavor, Plug } from '../../src/index.js';
import { RpcFlavor } from '../../flavors/rpc/index.js';
import { RealtimePlugin, type RealtimeOptions } from '../../plugins/realtime/index.js';

export const SECRET = 'test-secret-of-at-least-32-bytes!!';

/** Namespaces most realtime tests use. */
export const NAMESPACES: RealtimeOptions = {
  defaults: { publish: true },
  namespaces: {
    chat: { historySize: 10, historyTtl: 60_000, presence: true, joinLeave: true, publish: true },
    short: { historySize: 2, historyTtl: 60_000 },
    private: { subscribe: ({ channel, user }) => channel === `private:${user}` },
  },
};

/** An RPC flavor with the realtime plugin wired to its HTTP server, status check and metrics. */
@Flavor()
export class RealtimeFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() realtime: RealtimePlugin;

  constructor(options: RealtimeOptions = NAMESPACES) {
    this.realtime = new RealtimePlugin(options);
  }

  inject(): void {
    this.realtime.deps = {
      http: this.rpc.http,
      status: this.rpc.local.statusCheck,
      metrics: this.rpc.prometheus,
    };
  }
}

/** A connection token for `user`, signed with the test secret. */
export function token(
  user: string,
  claims: Record<string, unknown> = {},
  ttl = '1h',
): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(user)
    .setExpirationTime(ttl)
    .sign(new TextEncoder().encode(SECRET));
}

/** A Centrifuge client of `port`, disconnected when the test ends. */
export function client(
  port: number,
  options: ConstructorParameters<typeof Centrifuge>[1] = {},
): Centrifuge {
  const c = new Centrifuge(`ws://127.0.0.1:${port}/connection/websocket`, {
    websocket: WebSocket,
    minReconnectDelay: 50,
    maxReconnectDelay: 200,
    ...options,
  });
  onTestFinished(() => c.disconnect());
  return c;
}

/** A connected client of `user`. */
export async function connected(port: number, user: string): Promise<Centrifuge> {
  const c = client(port, { token: await token(user) });
  c.connect();
  await c.ready(5_000);
  return c;
}

/** A subscribed subscription of `c` to `channel`, collecting its publications. */
export async function subscribed(
  c: Centrifuge,
  channel: string,
): Promise<{ sub: Subscription; received: unknown[] }> {
  const sub = c.newSubscription(channel);
  const received: unknown[] = [];
  sub.on('publication', (ctx) => received.push(ctx.data));
  sub.subscribe();
  await sub.ready(5_000);
  return { sub, received };
}

/** Alice connected to the replica on `portOne`, Bob to the one on `portTwo`, both subscribed to `channel`. */
export async function subscribedOnBoth(portOne: number, portTwo: number, channel: string) {
  const alice = await connected(portOne, 'alice');
  const bob = await connected(portTwo, 'bob');
  return { a: await subscribed(alice, channel), b: await subscribed(bob, channel) };
}

/** Resolves when `check` holds, checking after each event of `emitter`'s `events`. */
export function until(
  emitter: {
    on(event: string, listener: () => void): unknown;
    off?(event: string, listener: () => void): unknown;
    removeListener?(event: string, listener: () => void): unknown;
  },
  events: string[],
  check: () => boolean,
  timeoutMs = 5_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) return resolve();
    const timer = setTimeout(() => {
      done();
      reject(new Error(`condition not met within ${timeoutMs} ms after ${events.join('/')}`));
    }, timeoutMs);
    const listener = () => {
      if (!check()) return;
      done();
      resolve();
    };
    const done = () => {
      clearTimeout(timer);
      for (const e of events) (emitter.off ?? emitter.removeListener)?.call(emitter, e, listener);
    };
    for (const e of events) emitter.on(e, listener);
  });
}

/** A TCP proxy to `target` whose connections a test can cut, and refuse for a while. */
export async function cuttableProxy(target: number): Promise<{
  port: number;
  /** Cuts every open connection and refuses new ones until `resume()`. */
  cut(): void;
  resume(): void;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((inbound) => {
    if (refusing) return void inbound.destroy();
    const outbound = connect(target, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const proxy = {
    port: (server.address() as AddressInfo).port,
    cut() {
      refusing = true;
      for (const s of sockets) s.destroy();
    },
    resume() {
      refusing = false;
    },
    async close() {
      proxy.cut();
      server.close();
      await once(server, 'close');
    },
  };
  onTestFinished(() => proxy.close());
  return proxy;
}
