import type { createClient } from 'redis';
import {
  backoffDelay,
  importPeer,
  type InitContext,
  type Logger,
  messageOf,
  type Plugin,
  withTimeout,
} from '../../src/index.js';
import type { Metrics } from '../prometheus/index.js';
import type { StatusReporter } from '../status-check/index.js';
import { scrub } from '../postgres/target.js';
import { RedisConfig } from './config.js';
import { redisCounters, type RedisCounters } from './metrics.js';
import { redisTarget, type RedisTarget } from './target.js';

/** A node-redis client as `createClient()` makes it. */
export type RedisClient = ReturnType<typeof createClient>;

/** Called with each message of a subscribed channel; a throw or rejection is logged. */
export type MessageHandler = (message: string, channel: string) => void | Promise<void>;

/** How to subscribe. */
export interface SubscribeOptions {
  /** Treat `channel` as a glob pattern (`PSUBSCRIBE`), e.g. `orders.*`. */
  pattern?: boolean;
}

/**
 * What dependents of a Redis plugin type against: the client for commands,
 * pub/sub on a connection of its own.
 */
export interface RedisConnection {
  /** The connected node-redis client; while reconnecting, commands fail at once (see `offlineQueue`). */
  readonly client: RedisClient;
  /**
   * Calls `handler` with every message on `channel`, received on a dedicated
   * subscriber connection that subscribes again after a reconnect. Resolves
   * once subscribed, with a function that unsubscribes.
   */
  subscribe(
    channel: string,
    handler: MessageHandler,
    options?: SubscribeOptions,
  ): Promise<() => Promise<void>>;
  /** Publishes `message` on `channel`; resolves with the number of subscribers that got it. */
  publish(channel: string, message: string): Promise<number>;
  /** True while the command connection is up: false before start, while reconnecting, after stop. */
  readonly ready: boolean;
}

/** What a Redis plugin reports to and measures into; both optional. */
export interface RedisDeps {
  status?: StatusReporter;
  metrics?: Metrics;
}

/**
 * A Redis connection (node-redis). `init` connects within `connectTimeout` (or
 * waits for the server with `waitForServer`); while running it reconnects with
 * backoff, reporting `error` to the status check while disconnected and `ok`
 * once back. With nothing configured it fails with a `ConfigError` naming the
 * variable to set: there is no embedded Redis.
 */
export class RedisPlugin implements Plugin, RedisConnection {
  static readonly configClass = RedisConfig;
  deps: RedisDeps = {};
  private main: RedisClient | undefined;
  private sub: RedisClient | undefined;
  private subConnected: Promise<void> | undefined;
  private name = 'redis';
  private cfg = new RedisConfig();
  private log?: Logger;
  private target?: RedisTarget;
  private counters: RedisCounters | undefined;
  private connected = false;
  private stopping = false;
  private closing = false;
  private down = false;

  get client(): RedisClient {
    if (!this.main) {
      throw new Error(
        `plugin "${this.name}" is not started: use it from init of a plugin that depends on it, or later`,
      );
    }
    return this.main;
  }

  get ready(): boolean {
    return this.main?.isReady === true && !this.closing;
  }

  async init(ctx: InitContext): Promise<void> {
    this.name = ctx.name;
    this.log = ctx.log;
    this.cfg = ctx.config(RedisConfig);
    this.stopping = this.closing = this.connected = this.down = false;
    const target = redisTarget(ctx.agent.name, ctx.name, this.cfg);
    this.target = target;
    const redis = await importPeer(ctx.name, 'redis', () => import('redis'));
    const client = redis.createClient({
      ...target.options,
      disableOfflineQueue: !this.cfg.offlineQueue,
      socket: {
        ...target.options.socket,
        connectTimeout: this.cfg.connectTimeout,
        reconnectStrategy: (retries) => this.retryIn(retries),
      },
    });
    this.watch(client);
    const registry = this.deps.metrics?.registry;
    if (registry) this.counters = redisCounters(registry, ctx.name, () => this.clientIds());
    try {
      await this.connect(client, ctx.signal);
    } catch (err) {
      client.destroy();
      this.counters?.stop();
      this.counters = undefined;
      throw err;
    }
    this.main = client;
    this.connected = true;
    this.deps.status?.register(ctx.name, () => this.probe(), {
      interval: this.cfg.healthInterval,
      timeout: this.cfg.healthTimeout,
    });
    ctx.log.info(`connected to Redis at ${target.address}`);
  }

  beforeClose(): void {
    this.stopping = true;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.main, this.sub].filter((c) => c !== undefined).map((c) => this.end(c)));
    this.counters?.stop();
    this.counters = undefined;
    this.main = undefined;
    this.sub = undefined;
  }

  async subscribe(
    channel: string,
    handler: MessageHandler,
    options: SubscribeOptions = {},
  ): Promise<() => Promise<void>> {
    const subscriber = await this.subscriberClient();
    const listener = (message: string, from: string) => this.deliver(handler, message, from);
    if (options.pattern) await subscriber.pSubscribe(channel, listener);
    else await subscriber.subscribe(channel, listener);
    return async () => {
      if (this.closing) return;
      if (options.pattern) await subscriber.pUnsubscribe(channel, listener);
      else await subscriber.unsubscribe(channel, listener);
    };
  }

  publish(channel: string, message: string): Promise<number> {
    if (this.closing) {
      return Promise.reject(new Error(`plugin "${this.name}" is stopping and publishes no more`));
    }
    return this.client.publish(channel, message);
  }

  /** The reconnect strategy: give up at start unless waiting for the server, else back off. */
  private retryIn(retries: number): number | false {
    if (this.closing) return false;
    if (!this.connected && !this.cfg.waitForServer) return false;
    this.counters?.reconnected();
    return backoffDelay(retries, this.cfg.reconnectDelay, this.cfg.reconnectMaxDelay);
  }

  /** Connects within `connectTimeout`, or, with `waitForServer`, until `signal` aborts. */
  private async connect(client: RedisClient, signal: AbortSignal): Promise<void> {
    const address = this.target!.address;
    const reason = (err: unknown) =>
      `cannot connect to Redis at ${address}: ${scrub(messageOf(err), this.target!.secrets)}`;
    if (!this.cfg.waitForServer) {
      try {
        await withTimeout(
          client.connect(),
          this.cfg.connectTimeout,
          () => new Error(`no answer within ${this.cfg.connectTimeout} ms`),
        );
        return;
      } catch (err) {
        throw new Error(
          `${reason(err)}. Check that the server runs and the plugin's url or host/port settings`,
          { cause: err },
        );
      }
    }
    let last: unknown;
    const onError = (err: unknown) => {
      if (last === undefined) this.log?.warn(`${reason(err)}; waiting for it (waitForServer)`);
      last = err;
    };
    const onAbort = () => client.destroy();
    client.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await client.connect();
    } catch (err) {
      throw new Error(`${reason(last ?? err)}; stopped waiting for it when the start limit ended`, {
        cause: err,
      });
    } finally {
      client.off('error', onError);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Health from the client's events: errors while running turn the plugin `error`, `ready` turns it back `ok`. */
  private watch(client: RedisClient): void {
    client.on('error', (err: unknown) => {
      if (!this.connected || this.closing) return;
      const message = `Redis at ${this.target!.address} is unreachable: ${scrub(messageOf(err), this.target!.secrets)}`;
      this.deps.status?.report(this.name, 'error', message);
      if (this.down) return;
      this.down = true;
      this.log?.warn(`${message}; reconnecting`);
    });
    client.on('ready', () => {
      if (!this.connected || this.closing || !this.healthy()) return;
      this.deps.status?.report(this.name, 'ok');
      if (!this.down) return;
      this.down = false;
      this.log?.info(`Redis at ${this.target!.address} answers again`);
    });
  }

  private healthy(): boolean {
    return this.main?.isReady === true && (this.sub === undefined || this.sub.isReady);
  }

  /** The dedicated pub/sub connection, opened on the first `subscribe`. */
  private async subscriberClient(): Promise<RedisClient> {
    if (this.closing) {
      throw new Error(`plugin "${this.name}" is stopping and takes no new subscriptions`);
    }
    if (!this.sub) {
      const sub = this.client.duplicate();
      this.watch(sub);
      this.sub = sub;
      this.subConnected = sub.connect().then(
        () => undefined,
        (err: unknown) => {
          this.sub = undefined;
          sub.destroy();
          throw err;
        },
      );
    }
    const sub = this.sub;
    await this.subConnected;
    return sub;
  }

  private deliver(handler: MessageHandler, message: string, channel: string): void {
    const failed = (err: unknown) =>
      this.log?.error(`a handler of channel ${channel} failed: ${messageOf(err)}`);
    try {
      const pending = handler(message, channel);
      if (pending) pending.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  private clientIds(): string[] {
    return [this.main, this.sub].flatMap((c) => (c ? [c._clientId] : []));
  }

  /** PING; fails while disconnected. */
  private async probe(): Promise<void> {
    if (this.stopping || !this.main) return;
    try {
      await this.main.ping();
    } catch (err) {
      const reason = scrub(messageOf(err), this.target!.secrets);
      throw new Error(`Redis at ${this.target!.address} is unreachable: ${reason}`, { cause: err });
    }
  }

  /** Closes a client after its pending commands, or cuts it off after `drainTimeout`. */
  private async end(client: RedisClient): Promise<void> {
    if (!client.isReady) {
      client.destroy();
      return;
    }
    try {
      await withTimeout(client.close(), this.cfg.drainTimeout, () => new Error('drain limit'));
    } catch {
      this.log?.warn(
        `commands still pending after drainTimeout (${this.cfg.drainTimeout} ms) are cut off`,
      );
      client.destroy();
    }
  }
}
