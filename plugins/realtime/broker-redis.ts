import type { Logger } from '../../src/index.js';
import {
  newEpoch,
  selectHistory,
  type Broker,
  type BrokerHandler,
  type ControlMessage,
  type HistoryQuery,
  type HistoryResult,
  type StreamOptions,
} from './broker.js';
import type { ClientInfo, Publication, StreamPosition } from './protocol.js';

/** The node-redis (v5/v6) client calls the Redis broker makes. */
export interface RedisClientLike {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  connect(): Promise<unknown>;
  duplicate(): RedisClientLike;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(
    channel: string,
    listener: (message: string, channel: string) => void,
  ): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  on(event: 'error' | 'ready', listener: (err?: Error) => void): unknown;
  close(): Promise<unknown>;
  destroy(): void;
}

/** How the Redis broker connects. */
export interface RedisBrokerOptions {
  /** A node-redis client, connected or not. */
  client: RedisClientLike;
  /** Prefix of every key and pub/sub channel. */
  prefix: string;
  /** Close the client when the broker closes (it was made for the broker). */
  owned?: boolean;
  /** S the position of a channel is kept after its last publication; default 30 days. */
  metaTtl?: number;
  log?: Logger;
}

const PUBLISH = `
local epoch = redis.call('hget', KEYS[2], 'e')
if not epoch then epoch = ARGV[4]; redis.call('hset', KEYS[2], 'e', epoch) end
local offset = redis.call('hincrby', KEYS[2], 'o', 1)
redis.call('expire', KEYS[2], ARGV[5])
local pub = '{"offset":' .. offset .. ',' .. string.sub(ARGV[1], 2)
redis.call('lpush', KEYS[1], pub)
redis.call('ltrim', KEYS[1], 0, tonumber(ARGV[2]) - 1)
redis.call('pexpire', KEYS[1], ARGV[3])
redis.call('publish', ARGV[6], 'p' .. pub)
return {offset, epoch}
`;

const HISTORY = `
local epoch = redis.call('hget', KEYS[2], 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('hset', KEYS[2], 'e', epoch)
  redis.call('expire', KEYS[2], ARGV[2])
end
local offset = redis.call('hget', KEYS[2], 'o') or '0'
local pubs = {}
if ARGV[3] == '1' then pubs = redis.call('lrange', KEYS[1], 0, -1) end
return {offset, epoch, pubs}
`;

const PRESENCE_ADD = `
redis.call('hset', KEYS[1], ARGV[1], ARGV[2])
redis.call('zadd', KEYS[2], ARGV[3], ARGV[1])
redis.call('pexpire', KEYS[1], ARGV[4])
redis.call('pexpire', KEYS[2], ARGV[4])
`;

const PRESENCE_REMOVE = `
redis.call('hdel', KEYS[1], ARGV[1])
redis.call('zrem', KEYS[2], ARGV[1])
`;

const PRESENCE_GET = `
local expired = redis.call('zrangebyscore', KEYS[2], '-inf', ARGV[1])
for _, client in ipairs(expired) do redis.call('hdel', KEYS[1], client) end
redis.call('zremrangebyscore', KEYS[2], '-inf', ARGV[1])
return redis.call('hgetall', KEYS[1])
`;

/**
 * Replicas share channels through Redis: pub/sub carries the fan-out, a list
 * per channel holds its history, a hash its offset and epoch, and a hash with
 * expiry times its presence.
 */
export class RedisBroker implements Broker {
  private readonly client: RedisClientLike;
  private subscriber: RedisClientLike | undefined;
  private handler: BrokerHandler | undefined;
  private readonly prefix: string;
  private readonly metaTtl: number;
  private readonly health = new Set<(error?: Error) => void>();
  /** The clients whose connection is lost at the moment. */
  private readonly lost = new Set<RedisClientLike>();

  constructor(private readonly options: RedisBrokerOptions) {
    this.client = options.client;
    this.prefix = options.prefix;
    this.metaTtl = options.metaTtl ?? 30 * 24 * 3600;
  }

  async start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    if (this.options.owned) this.watch(this.client);
    if (!this.client.isOpen) await this.client.connect();
    const subscriber = this.client.duplicate();
    this.watch(subscriber);
    await subscriber.connect();
    this.subscriber = subscriber;
    await subscriber.subscribe(this.key('control'), (message) => {
      this.handler?.control(JSON.parse(message) as ControlMessage);
    });
  }

  async close(): Promise<void> {
    this.handler = undefined;
    const clients = [this.subscriber, this.options.owned ? this.client : undefined];
    await Promise.all(
      clients.map(async (client) => {
        if (!client?.isOpen) return;
        // a client still reconnecting is cut off, not waited for
        if (!client.isReady) return client.destroy();
        await client.close().catch(() => client.destroy());
      }),
    );
    this.subscriber = undefined;
  }

  onHealth(listener: (error?: Error) => void): void {
    this.health.add(listener);
  }

  async subscribe(channel: string): Promise<void> {
    await this.subscriber?.subscribe(this.key('ch', channel), (message) =>
      this.received(channel, message),
    );
  }

  async unsubscribe(channel: string): Promise<void> {
    if (this.subscriber?.isOpen) await this.subscriber.unsubscribe(this.key('ch', channel));
  }

  async publish(
    channel: string,
    publication: Publication,
    stream?: StreamOptions,
  ): Promise<StreamPosition | undefined> {
    const json = JSON.stringify(publication);
    if (!stream || stream.size <= 0) {
      await this.client.publish(this.key('ch', channel), `p${json}`);
      return undefined;
    }
    const [offset, epoch] = (await this.client.eval(PUBLISH, {
      keys: [this.key('stream', channel), this.key('meta', channel)],
      arguments: [
        json,
        String(stream.size),
        String(stream.ttlMs),
        newEpoch(),
        String(this.metaTtl),
        this.key('ch', channel),
      ],
    })) as [number, string];
    return { offset: Number(offset), epoch };
  }

  async joinLeave(channel: string, kind: 'join' | 'leave', info: ClientInfo): Promise<void> {
    await this.client.publish(this.key('ch', channel), `${kind[0]}${JSON.stringify(info)}`);
  }

  async control(message: ControlMessage): Promise<void> {
    await this.client.publish(this.key('control'), JSON.stringify(message));
  }

  async history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const [offset, epoch, raw] = (await this.client.eval(HISTORY, {
      keys: [this.key('stream', channel), this.key('meta', channel)],
      arguments: [newEpoch(), String(this.metaTtl), query.limit === 0 ? '0' : '1'],
    })) as [string, string, string[]];
    const publications = raw.map((p) => JSON.parse(p) as Publication).reverse();
    return selectHistory(publications, { offset: Number(offset), epoch }, query);
  }

  async addPresence(channel: string, info: ClientInfo, ttlMs: number): Promise<void> {
    await this.client.eval(PRESENCE_ADD, {
      keys: this.presenceKeys(channel),
      arguments: [info.client, JSON.stringify(info), String(Date.now() + ttlMs), String(ttlMs)],
    });
  }

  async removePresence(channel: string, client: string): Promise<void> {
    await this.client.eval(PRESENCE_REMOVE, {
      keys: this.presenceKeys(channel),
      arguments: [client],
    });
  }

  async presence(channel: string): Promise<Record<string, ClientInfo>> {
    const flat = (await this.client.eval(PRESENCE_GET, {
      keys: this.presenceKeys(channel),
      arguments: [String(Date.now())],
    })) as string[];
    const result: Record<string, ClientInfo> = {};
    for (let i = 0; i + 1 < flat.length; i += 2)
      result[flat[i] as string] = JSON.parse(flat[i + 1] as string) as ClientInfo;
    return result;
  }

  private received(channel: string, message: string): void {
    const handler = this.handler;
    if (!handler) return;
    const body = message.slice(1);
    try {
      if (message[0] === 'p') handler.publication(channel, JSON.parse(body) as Publication);
      else if (message[0] === 'j') handler.join(channel, JSON.parse(body) as ClientInfo);
      else if (message[0] === 'l') handler.leave(channel, JSON.parse(body) as ClientInfo);
    } catch (err) {
      this.options.log?.warn(`dropped a malformed broker message on ${channel}: ${String(err)}`);
    }
  }

  /** Reports a lost connection once, and its return once every client is back. */
  private watch(client: RedisClientLike): void {
    client.on('error', (err) => {
      if (this.lost.has(client)) return;
      this.lost.add(client);
      if (this.lost.size > 1) return;
      const error = new Error(`redis broker: ${err?.message ?? 'connection lost'}`);
      this.options.log?.error(error.message);
      for (const listener of this.health) listener(error);
    });
    client.on('ready', () => {
      if (!this.lost.delete(client) || this.lost.size > 0) return;
      this.options.log?.info('redis broker: connection back');
      for (const listener of this.health) listener();
    });
  }

  private presenceKeys(channel: string): string[] {
    return [this.key('presence', channel), this.key('presence-exp', channel)];
  }

  private key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}
