import type { Socket } from 'node:net';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { keyedLanes, laneOf } from './partition.js';
import type { Consumer, Delivery, Envelope, HealthListener, Transport } from './transport.js';

type Amqp = typeof import('amqplib');
type Recovering = import('amqplib').RecoveringChannelModel;

/** Settings the RabbitMQ backend takes from the plugin's configuration. */
export interface AmqpOptions {
  url: string;
  /** The topic exchange's name and the prefix of every queue. */
  prefix: string;
  connectTimeout: number;
  /** Partitions of keyed messages; the same on every agent. */
  partitions: number;
  /** `host:port`, for messages. */
  where: string;
}

const KEY = 'fk-key';

interface ConsumerState {
  topic: string;
  /** Undefined: a private, exclusive queue that ends with its channel. */
  group: string | undefined;
  prefetch: number;
  deliver: (delivery: Delivery) => void;
  channel?: Channel;
  /** The consumer of unkeyed messages (or of the private queue), cancelled at stop. */
  tag?: string;
  stopped: boolean;
}

/**
 * RabbitMQ: one durable topic exchange per prefix; unkeyed messages of topic
 * `t` are routed with `u.t`, keyed ones with `k<n>.t` for their partition n. A
 * group is a durable queue for its unkeyed messages plus one per partition
 * with a single active consumer, so a key is handled by one subscriber of the
 * group at a time, in publish order; a private group is an exclusive queue
 * bound to all of them. Each subscription has its own channel, its prefetch
 * the limit per queue; messages are persistent, published with confirms,
 * acknowledged explicitly and requeued when returned or when their channel
 * closes. A stopping subscriber keeps its partitions until its handlers are
 * done, then closes the channel: what it held goes back in order to the next
 * subscriber. The connection recovers by itself and re-creates its consumers.
 */
export class AmqpTransport implements Transport {
  private readonly health = new Set<HealthListener>();
  private readonly consumers = new Set<ConsumerState>();
  private publisher?: ConfirmChannel;
  private socket: Socket | undefined;
  private healthy = true;
  private conn!: Recovering;

  private constructor(private readonly options: AmqpOptions) {}

  /** Connects (failing fast at start), and declares the exchange. */
  static async open(amqp: Amqp, options: AmqpOptions): Promise<AmqpTransport> {
    const transport = new AmqpTransport(options);
    transport.conn = await amqp.connect(options.url, {
      timeout: options.connectTimeout,
      recovery: {
        initialMaxRetries: 0,
        maxRetries: Infinity,
        initialDelay: 200,
        maxDelay: 5_000,
        setup: (model: ChannelModel) => transport.setup(model),
      },
    });
    transport.conn.on('disconnect', (err) => transport.emit(false, err));
    // a connection lost without the AMQP close handshake (server killed, network reset) also emits error
    transport.conn.on('error', (err: unknown) => transport.emit(false, err));
    transport.conn.on('connect', () => transport.emit(true));
    return transport;
  }

  async publish(topic: string, message: Envelope): Promise<void> {
    const channel = this.publisher;
    if (!channel) throw new Error(`not connected to RabbitMQ at ${this.options.where}`);
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        this.options.prefix,
        `${laneOf(message.key, this.options.partitions)}.${topic}`,
        Buffer.from(message.body),
        {
          persistent: true,
          messageId: message.id,
          headers: {
            ...message.headers,
            ...(message.key === undefined ? {} : { [KEY]: message.key }),
          },
        },
        (err: unknown) => (err ? reject(toError(err)) : resolve()),
      );
    });
  }

  async declare(topic: string, group: string): Promise<void> {
    const channel = this.publisher;
    if (!channel) throw new Error(`not connected to RabbitMQ at ${this.options.where}`);
    for (const lane of this.lanes()) await this.bind(channel, lane, group, topic);
  }

  async consume(
    topic: string,
    group: string | undefined,
    prefetch: number,
    deliver: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const state: ConsumerState = {
      topic,
      group,
      prefetch,
      deliver,
      stopped: false,
    };
    this.consumers.add(state);
    await this.start(state, () => this.conn.createChannel());
    return {
      stop: async () => {
        state.stopped = true;
        this.consumers.delete(state);
        if (state.channel && state.tag)
          await state.channel.cancel(state.tag).catch(() => undefined);
      },
      // requeues, in their order, the keyed messages it still held; the next subscriber takes over
      close: async () => {
        await state.channel?.close().catch(() => undefined);
      },
    };
  }

  onHealth(listener: HealthListener): void {
    this.health.add(listener);
    listener(this.healthy);
  }

  async close(): Promise<void> {
    this.health.clear();
    // closing the connection requeues whatever is still unacknowledged
    const socket = this.socket;
    await this.conn.close().catch(() => undefined);
    if (socket && !socket.destroyed) await new Promise((resolve) => socket.once('close', resolve));
  }

  /** Runs after every (re)connect: the publisher channel, the exchange and every consumer. */
  private async setup(model: ChannelModel): Promise<void> {
    this.socket = (model.connection as unknown as { stream?: Socket }).stream;
    const publisher = await model.createConfirmChannel();
    await publisher.assertExchange(this.options.prefix, 'topic', { durable: true });
    publisher.on('error', () => undefined);
    this.publisher = publisher;
    for (const state of this.consumers) await this.start(state, () => model.createChannel());
  }

  private async start(state: ConsumerState, open: () => Promise<Channel>): Promise<void> {
    const { group, topic } = state;
    const channel = await open();
    channel.on('error', () => undefined);
    await channel.prefetch(state.prefetch);
    state.channel = channel;
    if (group === undefined) {
      const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, this.options.prefix, `*.${topic}`);
      state.tag = await this.listen(state, channel, queue, false);
      return;
    }
    for (const lane of this.lanes()) {
      const queue = await this.bind(channel, lane, group, topic);
      const tag = await this.listen(state, channel, queue, lane !== 'u');
      if (lane === 'u') state.tag = tag;
    }
  }

  private async listen(
    state: ConsumerState,
    channel: Channel,
    queue: string,
    keyed: boolean,
  ): Promise<string> {
    const { consumerTag } = await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        if (!state.stopped) state.deliver(this.delivery(state, channel, msg, keyed));
        // a keyed message stays held until the channel closes, to go back in order
        else if (!keyed) safely(() => channel.nack(msg, false, true));
      },
      { noAck: false },
    );
    return consumerTag;
  }

  /** `u` for unkeyed messages, then each partition's lane. */
  private lanes(): string[] {
    return ['u', ...keyedLanes(this.options.partitions)];
  }

  /** Declares a group's queue for one lane, bound to the topic; returns its name. */
  private async bind(
    channel: Channel,
    lane: string,
    group: string,
    topic: string,
  ): Promise<string> {
    const unkeyed = lane === 'u';
    const queue = `${this.options.prefix}.${group}.${topic}${unkeyed ? '' : `~${lane}`}`;
    await channel.assertQueue(queue, {
      durable: true,
      ...(unkeyed ? {} : { arguments: { 'x-single-active-consumer': true } }),
    });
    await channel.bindQueue(queue, this.options.prefix, `${lane}.${topic}`);
    return queue;
  }

  private delivery(
    state: ConsumerState,
    channel: Channel,
    msg: ConsumeMessage,
    keyed: boolean,
  ): Delivery {
    const headers: Record<string, string> = {};
    let key: string | undefined;
    for (const [name, value] of Object.entries(msg.properties.headers ?? {})) {
      if (name === KEY) key = String(value);
      else if (!name.startsWith('x-death')) headers[name] = String(value);
    }
    return {
      topic: state.topic,
      id: String(msg.properties.messageId ?? msg.fields.deliveryTag),
      key,
      headers,
      body: msg.content,
      deliveries: msg.fields.redelivered ? 2 : 1,
      // a channel lost meanwhile has requeued the message already
      ack: () => safely(() => channel.ack(msg)),
      // once stopping, a keyed message goes back with the channel, in order
      retry: () => {
        if (!(keyed && state.stopped)) safely(() => channel.nack(msg, false, true));
      },
      touch: () => undefined,
    };
  }

  private emit(healthy: boolean, err?: unknown): void {
    if (healthy === this.healthy) return;
    this.healthy = healthy;
    const error = healthy
      ? undefined
      : `lost RabbitMQ at ${this.options.where}${err instanceof Error ? `: ${err.message}` : ''}`;
    for (const listener of this.health) listener(healthy, error);
  }
}

function safely(action: () => void): void {
  try {
    action();
  } catch {
    /* the channel is gone: the broker requeued the message */
  }
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
