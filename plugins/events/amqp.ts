import type { Socket } from 'node:net';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { Consumer, Delivery, Envelope, HealthListener, Transport } from './transport.js';

type Amqp = typeof import('amqplib');
type Recovering = import('amqplib').RecoveringChannelModel;

/** Settings the RabbitMQ backend takes from the plugin's configuration. */
export interface AmqpOptions {
  url: string;
  /** The topic exchange's name and the prefix of every queue. */
  prefix: string;
  connectTimeout: number;
  /** `host:port`, for messages. */
  where: string;
}

const KEY = 'fk-key';

interface ConsumerState {
  topic: string;
  /** Undefined: a private, exclusive queue that ends with its channel. */
  queue: string | undefined;
  prefetch: number;
  deliver: (delivery: Delivery) => void;
  channel?: Channel;
  tag?: string;
  stopped: boolean;
}

/**
 * RabbitMQ: one durable topic exchange per prefix; a group is a durable queue
 * bound to the topic, a private group an exclusive queue. Each consumer has
 * its own channel, its prefetch the channel's limit; messages are persistent,
 * published with confirms, acknowledged explicitly and requeued when returned
 * or when their channel closes. The connection recovers by itself and
 * re-creates its consumers.
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
    transport.conn.on('connect', () => transport.emit(true));
    return transport;
  }

  async publish(topic: string, message: Envelope): Promise<void> {
    const channel = this.publisher;
    if (!channel) throw new Error(`not connected to RabbitMQ at ${this.options.where}`);
    await new Promise<void>((resolve, reject) => {
      channel.publish(
        this.options.prefix,
        topic,
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
    await this.bind(channel, this.queueName(group, topic), topic);
  }

  async consume(
    topic: string,
    group: string | undefined,
    prefetch: number,
    deliver: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const state: ConsumerState = {
      topic,
      queue: group === undefined ? undefined : this.queueName(group, topic),
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
    const channel = await open();
    channel.on('error', () => undefined);
    await channel.prefetch(state.prefetch);
    const queue =
      state.queue ?? (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    if (state.queue) await this.bind(channel, state.queue, state.topic);
    else await channel.bindQueue(queue, this.options.prefix, state.topic);
    state.channel = channel;
    const { consumerTag } = await channel.consume(
      queue,
      (msg) => {
        if (msg && !state.stopped) state.deliver(this.delivery(state.topic, channel, msg));
        else if (msg) safely(() => channel.nack(msg, false, true));
      },
      { noAck: false },
    );
    state.tag = consumerTag;
  }

  private async bind(channel: Channel, queue: string, topic: string): Promise<void> {
    await channel.assertQueue(queue, { durable: true });
    await channel.bindQueue(queue, this.options.prefix, topic);
  }

  private queueName(group: string, topic: string): string {
    return `${this.options.prefix}.${group}.${topic}`;
  }

  private delivery(topic: string, channel: Channel, msg: ConsumeMessage): Delivery {
    const headers: Record<string, string> = {};
    let key: string | undefined;
    for (const [name, value] of Object.entries(msg.properties.headers ?? {})) {
      if (name === KEY) key = String(value);
      else if (!name.startsWith('x-death')) headers[name] = String(value);
    }
    return {
      topic,
      id: String(msg.properties.messageId ?? msg.fields.deliveryTag),
      key,
      headers,
      body: msg.content,
      deliveries: msg.fields.redelivered ? 2 : 1,
      // a channel lost meanwhile has requeued the message already
      ack: () => safely(() => channel.ack(msg)),
      retry: () => safely(() => channel.nack(msg, false, true)),
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
