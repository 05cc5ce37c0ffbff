import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  Consumer as JsConsumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { messageOf } from '../../src/errors.js';
import type { Consumer, Delivery, Envelope, HealthListener, Transport } from './transport.js';

type NatsCore = typeof import('@nats-io/transport-node');
type NatsJs = typeof import('@nats-io/jetstream');

/** Settings the NATS backend takes from the plugin's configuration. */
export interface NatsOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** Stream name and subject prefix: topic `a.b` is subject `<prefix>.a.b` in stream `<prefix>`. */
  prefix: string;
  connectTimeout: number;
  /** Ms the server waits for an acknowledgement before handing a message out again. */
  ackWait: number;
  /** Unacknowledged messages the server hands out per group, all its subscribers together. */
  maxAckPending: number;
  /** A name for the connection, shown by the server. */
  name: string;
}

const ID = 'Fk-Id';
const KEY = 'Fk-Key';

/** Names of headers the backend uses itself; never passed on to handlers. */
const reserved = (name: string) => name.startsWith('Nats-') || name === ID || name === KEY;

/**
 * NATS JetStream: one stream per prefix holding every topic; a group is a
 * durable pull consumer filtered on the topic's subject, a private group an
 * ephemeral one. Acknowledgements are explicit; a message not acknowledged
 * within `ackWait` (a lost subscriber) or returned is handed out again.
 */
export class NatsTransport implements Transport {
  private readonly health = new Set<HealthListener>();
  private closing = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly lib: { core: NatsCore; js: NatsJs },
    private readonly options: NatsOptions,
  ) {
    void this.watch();
  }

  /** Connects, and creates the stream when it does not exist yet. */
  static async open(
    lib: { core: NatsCore; js: NatsJs },
    options: NatsOptions,
  ): Promise<NatsTransport> {
    const nc = await lib.core.connect({
      servers: options.url.split(','),
      name: options.name,
      timeout: options.connectTimeout,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    try {
      const jsm = await lib.js.jetstreamManager(nc);
      await ensureStream(jsm, lib.js, options.prefix);
      return new NatsTransport(nc, lib.js.jetstream(nc), jsm, lib, options);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  async publish(topic: string, message: Envelope): Promise<void> {
    const h = this.lib.core.headers();
    h.set(ID, message.id);
    if (message.key !== undefined) h.set(KEY, message.key);
    for (const [name, value] of Object.entries(message.headers)) h.set(name, value);
    await this.js.publish(this.subject(topic), message.body, {
      headers: h,
      // the stream drops a copy published again within its duplicate window
      msgID: `${topic}:${message.id}`,
    });
  }

  async declare(topic: string, group: string): Promise<void> {
    await this.ensureConsumer(topic, durableName(group, topic), true);
  }

  async consume(
    topic: string,
    group: string | undefined,
    prefetch: number,
    deliver: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const name = group === undefined ? `private-${randomUUID()}` : durableName(group, topic);
    await this.ensureConsumer(topic, name, group !== undefined);
    const consumer = await this.js.consumers.get(this.options.prefix, name);
    const puller = new Puller(consumer, prefetch, (m, settled) =>
      deliver(this.delivery(topic, m, settled)),
    );
    return {
      stop: async () => {
        await puller.stop();
        if (group === undefined && !this.closing && !this.nc.isClosed()) {
          await this.jsm.consumers.delete(this.options.prefix, name).catch(() => false);
        }
      },
    };
  }

  onHealth(listener: HealthListener): void {
    this.health.add(listener);
    listener(!this.nc.isClosed());
  }

  async close(): Promise<void> {
    this.closing = true;
    // drain flushes acknowledgements still buffered, then closes
    await this.nc.drain().catch(() => this.nc.close());
  }

  private subject(topic: string): string {
    return `${this.options.prefix}.${topic}`;
  }

  private async ensureConsumer(topic: string, name: string, durable: boolean): Promise<void> {
    const info = await this.jsm.consumers.info(this.options.prefix, name).catch(() => undefined);
    if (info) return;
    const { AckPolicy, DeliverPolicy } = this.lib.js;
    const { nanos } = this.lib.core;
    await this.jsm.consumers.add(this.options.prefix, {
      ...(durable ? { durable_name: name } : { name, inactive_threshold: nanos(60_000) }),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: this.subject(topic),
      ack_wait: nanos(this.options.ackWait),
      max_ack_pending: this.options.maxAckPending,
      max_deliver: -1,
    });
  }

  private delivery(topic: string, m: JsMsg, settled: () => void): Delivery {
    const headers: Record<string, string> = {};
    for (const name of m.headers?.keys() ?? []) {
      if (!reserved(name)) headers[name] = m.headers!.get(name);
    }
    const key = m.headers?.get(KEY);
    let done = false;
    const safely = (action: () => void, settles = true) => {
      if (settles && !done) {
        done = true;
        settled();
      }
      // a lost connection loses the acknowledgement too: the server hands the message out again
      try {
        action();
      } catch {
        /* redelivered after ackWait */
      }
    };
    return {
      topic,
      id: m.headers?.get(ID) || String(m.seq),
      key: key ? key : undefined,
      headers,
      body: m.data,
      deliveries: m.info.deliveryCount,
      ack: () => safely(() => m.ack()),
      retry: () => safely(() => m.nak()),
      touch: () => safely(() => m.working(), false),
    };
  }

  private async watch(): Promise<void> {
    const where = this.options.url;
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.emit(false, `lost the NATS server at ${where}`);
      else if (status.type === 'reconnect') this.emit(true);
    }
    if (!this.closing) this.emit(false, `the connection to NATS at ${where} closed`);
  }

  private emit(healthy: boolean, error?: string): void {
    for (const listener of this.health) listener(healthy, error);
  }
}

/** A durable consumer's name: the group and a digest of the topic (names may not hold dots). */
function durableName(group: string, topic: string): string {
  const digest = createHash('sha256').update(topic).digest('hex').slice(0, 12);
  return `${group}_${digest}`;
}

async function ensureStream(jsm: JetStreamManager, js: NatsJs, prefix: string): Promise<void> {
  const exists = await jsm.streams.info(prefix).catch(() => undefined);
  if (exists) return;
  try {
    await jsm.streams.add({
      name: prefix,
      subjects: [`${prefix}.>`],
      storage: js.StorageType.File,
    });
  } catch (err) {
    // another replica may have created it in between
    if (!(await jsm.streams.info(prefix).catch(() => undefined)))
      throw new Error(`cannot create the JetStream stream "${prefix}": ${messageOf(err)}`, {
        cause: err,
      });
  }
}

/**
 * Pulls only as many messages as there is room for: at most `prefetch`
 * unsettled at once, so none waits in memory long enough for its ack wait to
 * pass and be handed out twice.
 */
class Puller {
  private unsettled = 0;
  private room?: (() => void) | undefined;
  private batch?: ConsumerMessages | undefined;
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly consumer: JsConsumer,
    private readonly prefetch: number,
    private readonly deliver: (m: JsMsg, settled: () => void) => void,
  ) {
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.room?.();
    await this.batch?.close().catch(() => undefined);
    await this.done;
  }

  private async loop(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      // refill once half the room is free: fewer, larger pulls
      if (this.unsettled > this.prefetch / 2) {
        await new Promise<void>((resolve) => (this.room = resolve));
        this.room = undefined;
        continue;
      }
      try {
        this.batch = await this.consumer.fetch({
          max_messages: this.prefetch - this.unsettled,
          expires: 1_000,
        });
        for await (const m of this.batch) {
          this.unsettled++;
          this.deliver(m, this.settled);
        }
      } catch {
        // the server is away: the connection's health says so; try again shortly
        await sleep(250, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  private readonly settled = (): void => {
    this.unsettled--;
    if (this.unsettled <= this.prefetch / 2) this.room?.();
  };
}
