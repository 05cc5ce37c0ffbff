import { randomUUID } from 'node:crypto';
import type { InitContext, Logger, Plugin } from '../../src/index.js';
import type { Metrics } from '../prometheus/index.js';
import type { StatusReporter } from '../status-check/index.js';
import { openTransport } from './backend.js';
import { EventsConfig } from './config.js';
import { EventCounters, type EventStats } from './stats.js';
import { Subscriber } from './subscriber.js';
import type { Envelope, Transport } from './transport.js';
import {
  jsonCodec,
  type Codec,
  type EventBus,
  type Handler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from './types.js';

export { BACKENDS, EventsConfig, type BackendName } from './config.js';
export { chooseBackend } from './backend.js';
export { MemoryTransport } from './memory.js';
export type { EventStats } from './stats.js';
export type { Consumer, Delivery, Envelope, HealthListener, Transport } from './transport.js';
export {
  DEAD_LETTER_HEADERS,
  jsonCodec as jsonEventCodec,
  type Backoff,
  type Codec as EventCodec,
  type Event,
  type EventBus,
  type Handler,
  type PublishOptions,
  type SubscribeOptions,
  type Subscription,
} from './types.js';

/** What the events plugin can be given in code. */
export interface EventsOptions {
  /** How message bodies become bytes; JSON by default. */
  codec?: Codec;
  /** A backend of your own, in place of the configured one. */
  transport?: Transport;
}

const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const NAME = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Publish/subscribe with at-least-once delivery over memory (the default),
 * NATS JetStream or RabbitMQ: groups, concurrency, retries with backoff, a
 * dead-letter topic, per-key order. Handlers get messages from `afterInit` on;
 * `beforeClose` stops taking them and drains; what is not done goes back to
 * the broker.
 */
export class EventsPlugin implements Plugin, EventBus {
  static readonly configClass = EventsConfig;
  deps: { status?: StatusReporter; metrics?: Metrics } = {};
  private readonly codec: Codec;
  private readonly subscribers = new Set<Subscriber>();
  private transport?: Transport;
  private counters = new EventCounters('events');
  private config = new EventsConfig();
  private log?: Logger;
  private name = 'events';
  private serving = false;
  private closing = false;
  private healthy = true;

  constructor(private readonly options: EventsOptions = {}) {
    this.codec = options.codec ?? jsonCodec;
  }

  async init(ctx: InitContext): Promise<void> {
    this.config = ctx.config(EventsConfig);
    this.log = ctx.log;
    this.name = ctx.name;
    this.counters = new EventCounters(ctx.name, this.deps.metrics?.registry);
    const transport = this.options.transport ?? (await openTransport(this.config, ctx));
    this.transport = transport;
    transport.onHealth((healthy, error) => this.onHealth(healthy, error));
  }

  afterInit(): void {
    this.serving = true;
    for (const subscriber of this.subscribers) subscriber.start();
  }

  async beforeClose(): Promise<void> {
    this.serving = false;
    this.closing = true;
    const { drainTimeout, abortGrace } = this.config;
    await Promise.all([...this.subscribers].map((s) => s.drain(drainTimeout, abortGrace)));
    this.subscribers.clear();
  }

  async close(): Promise<void> {
    if (!this.closing) await this.beforeClose();
    await this.transport?.close();
    delete this.transport;
  }

  /** Counts since start: published, delivered, retried, dead-lettered, in flight. */
  stats(): EventStats {
    return { ...this.counters.values };
  }

  async publish(topic: string, data: unknown, options: PublishOptions = {}): Promise<string> {
    checkTopic(topic);
    const headers = checkHeaders(options.headers ?? {});
    const id = options.id ?? randomUUID();
    const envelope: Envelope = { id, key: options.key, headers, body: this.codec.encode(data) };
    await this.publishRaw(topic, envelope);
    this.counters.published(topic);
    return id;
  }

  async subscribe<T = unknown>(
    topic: string,
    handler: Handler<T>,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    checkTopic(topic);
    if (options.group !== undefined && !NAME.test(options.group)) {
      throw new TypeError(
        `events: group "${options.group}" is not valid: use 1 to 100 letters, digits, "-" or "_"`,
      );
    }
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1)
      throw new TypeError(`events: concurrency must be a whole number of at least 1`);
    if (options.maxAttempts !== undefined && !(options.maxAttempts >= 1))
      throw new TypeError(`events: maxAttempts must be at least 1`);
    if (this.closing)
      throw new Error(`events plugin "${this.name}" is stopping: no new subscriptions`);
    const transport = this.connected();
    const subscriber = new Subscriber(topic, options.group, handler as Handler<unknown>, options, {
      codec: this.codec,
      counters: this.counters,
      log: this.log!,
      publishRaw: (t, m) => this.publishRaw(t, m),
    });
    const dead = subscriber.deadLetterTopic;
    if (dead !== undefined) {
      checkTopic(dead);
      await transport.declare(dead, 'dead-letter');
    }
    const prefetch = Math.max(this.config.prefetch, concurrency);
    subscriber.consumer = await transport.consume(
      topic,
      options.group,
      prefetch,
      subscriber.receive,
    );
    this.subscribers.add(subscriber);
    if (this.serving) subscriber.start();
    return {
      topic,
      group: options.group,
      unsubscribe: async () => {
        if (!this.subscribers.delete(subscriber)) return;
        await subscriber.drain(this.config.drainTimeout, this.config.abortGrace);
      },
    };
  }

  private publishRaw(topic: string, message: Envelope): Promise<void> {
    return this.connected().publish(topic, message);
  }

  private connected(): Transport {
    if (!this.transport)
      throw new Error(`events plugin "${this.name}" is not started, or closed already`);
    return this.transport;
  }

  private onHealth(healthy: boolean, error?: string): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    if (healthy) this.log?.info('connection to the broker is back');
    else this.log?.error(error ?? 'lost the broker');
    this.deps.status?.report(this.name, healthy ? 'ok' : 'error', error);
  }
}

function checkTopic(topic: string): void {
  if (typeof topic !== 'string' || topic.length > 200 || !TOPIC.test(topic)) {
    throw new TypeError(
      `events: topic ${JSON.stringify(topic)} is not valid: use words of letters, digits, "-" or "_" separated by dots`,
    );
  }
}

function checkHeaders(headers: Record<string, string>): Record<string, string> {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(name) || /^(nats-|fk-)/i.test(name))
      throw new TypeError(
        `events: header name ${JSON.stringify(name)} is not valid or is reserved`,
      );
    if (typeof value !== 'string' || /[\r\n]/.test(value))
      throw new TypeError(`events: header "${name}" must be a string without line breaks`);
  }
  return { ...headers };
}
