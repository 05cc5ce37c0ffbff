import { createHash, randomUUID } from 'node:crypto';
import type {
  JetStreamClient,
  JetStreamManager,
  JetStreamPublishOptions,
} from '@nats-io/jetstream';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { messageOf } from '../../src/index.js';
import { keyedLanes, laneOf } from './partition.js';
import type { Consumer, Delivery, Envelope, HealthListener, Transport } from './transport.js';

type NatsCore = typeof import('@nats-io/transport-node');
type NatsJs = typeof import('@nats-io/jetstream');

/** Settings the NATS backend takes from the plugin's configuration. */
export interface NatsOptions {
  /** `nats://host:port`, or several separated by commas. */
  url: string;
  /** Stream name and subject prefix: topic `a.b` travels on `<prefix>.<lane>.a.b` in stream `<prefix>`. */
  prefix: string;
  connectTimeout: number;
  /** Ms the server waits for an acknowledgement before handing a message out again. */
  ackWait: number;
  /** Unacknowledged unkeyed messages the server hands out per group, all its subscribers together. */
  maxAckPending: number;
  /** Partitions of keyed messages; the same on every agent. */
  partitions: number;
  /** A name for the connection, shown by the server. */
  name: string;
}

/** Carries `<topic>:<message id>`: the stream's duplicate check, and the id for handlers. */
const MSG_ID = 'Nats-Msg-Id';
const KEY = 'Fk-Key';
/**
 * Ms a pull request waits on the server for messages before it is renewed (the
 * client's least). A stopping consumer lets its requests run out rather than
 * dropping them: a nats-server that hands a message to a request nobody listens
 * to any more forgets how often it delivered it.
 */
const PULL_EXPIRES = 1_000;
/** Messages asked for at once from a keyed partition, which hands out one at a time. */
const KEYED_BUFFER = 16;
/** In a pull request's end status: how many of the messages it asked for it did not get. */
const PENDING_MESSAGES = 'Nats-Pending-Messages';
const encoder = new TextEncoder();
const ACK = encoder.encode('+ACK');
const NAK = encoder.encode('-NAK');
const WORKING = encoder.encode('+WPI');

/** Names of headers the backend uses itself; never passed on to handlers. */
const reserved = (name: string) => name.startsWith('Nats-') || name === KEY;

/**
 * NATS JetStream: one stream per prefix holding every topic. Unkeyed messages
 * of topic `t` travel on `<prefix>.u.t`, keyed ones on `<prefix>.k<n>.t` for
 * their partition n. A group is a durable pull consumer on the unkeyed subject
 * plus one per partition that hands out one message at a time
 * (`max_ack_pending` 1), so a key is handled by one subscriber of the group at
 * a time, in publish order; a private group is one ephemeral consumer on all
 * of them. Acknowledgements are explicit; a message not acknowledged within
 * `ackWait` (a lost subscriber) or returned is handed out again.
 */
export class NatsTransport implements Transport {
  private readonly health = new Set<HealthListener>();
  private readonly outbox = new Outbox();
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
      // every publish is a request: without this the client builds two errors per message
      // (the caller's stack, and a timeout error made before it is known whether it times
      // out), when all such a stack would show is this transport's publish
      noAsyncTraces: true,
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
    // the id travels as the stream's message id, which also drops a copy published again
    // within the duplicate window
    const options: Partial<JetStreamPublishOptions> = { msgID: `${topic}:${message.id}` };
    let h: MsgHdrs | undefined;
    for (const name in message.headers)
      (h ??= this.lib.core.headers()).set(name, message.headers[name]!);
    if (message.key !== undefined) (h ??= this.lib.core.headers()).set(KEY, message.key);
    if (h) options.headers = h;
    const lane = laneOf(message.key, this.options.partitions);
    await this.js.publish(this.subject(lane, topic), message.body, options);
  }

  async declare(topic: string, group: string): Promise<void> {
    await Promise.all(this.groupConsumers(topic, group).map((c) => this.ensureConsumer(c)));
  }

  async consume(
    topic: string,
    group: string | undefined,
    prefetch: number,
    deliver: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const specs =
      group === undefined
        ? [{ name: `private-${randomUUID()}`, lane: '*', topic, durable: false, keyed: false }]
        : this.groupConsumers(topic, group);
    await Promise.all(specs.map((spec) => this.ensureConsumer(spec)));
    const pullers = specs.map(
      (spec) =>
        new Puller(
          this.nc,
          this.lib.core,
          this.options.prefix,
          spec.name,
          spec.keyed ? KEYED_BUFFER : prefetch,
          this.options.ackWait,
          (m, puller) => deliver(new NatsDelivery(topic, m, puller, this.outbox)),
        ),
    );
    return {
      stop: async () => {
        await Promise.all(pullers.map((p) => p.stop()));
      },
      close: async () => {
        for (const puller of pullers) puller.close();
        if (group !== undefined || this.closing || this.nc.isClosed()) return;
        await this.jsm.consumers.delete(this.options.prefix, specs[0]!.name).catch(() => false);
      },
    };
  }

  onHealth(listener: HealthListener): void {
    this.health.add(listener);
    listener(!this.nc.isClosed());
  }

  async close(): Promise<void> {
    this.closing = true;
    this.outbox.flush();
    // drain flushes acknowledgements still buffered, then closes
    await this.nc.drain().catch(() => this.nc.close());
  }

  private subject(lane: string, topic: string): string {
    return `${this.options.prefix}.${lane}.${topic}`;
  }

  /** A named group's consumers: one for unkeyed messages, one per keyed partition. */
  private groupConsumers(topic: string, group: string): ConsumerSpec[] {
    const name = durableName(group, topic);
    return [
      { name: `${name}_u`, lane: 'u', topic, durable: true, keyed: false },
      ...keyedLanes(this.options.partitions).map((lane) => ({
        name: `${name}_${lane}`,
        lane,
        topic,
        durable: true,
        keyed: true,
      })),
    ];
  }

  private async ensureConsumer(spec: ConsumerSpec): Promise<void> {
    const { prefix, ackWait, maxAckPending } = this.options;
    const info = await this.jsm.consumers.info(prefix, spec.name).catch(() => undefined);
    if (info) return;
    const { AckPolicy, DeliverPolicy } = this.lib.js;
    const { nanos } = this.lib.core;
    await this.jsm.consumers.add(prefix, {
      ...(spec.durable
        ? { durable_name: spec.name }
        : { name: spec.name, inactive_threshold: nanos(60_000) }),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      filter_subject: this.subject(spec.lane, spec.topic),
      ack_wait: nanos(ackWait),
      // a partition hands out its next message only once the last one is settled
      max_ack_pending: spec.keyed ? 1 : maxAckPending,
      max_deliver: -1,
    });
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

interface ConsumerSpec {
  name: string;
  /** `u`, `k<n>`, or `*` for all of them. */
  lane: string;
  topic: string;
  durable: boolean;
  keyed: boolean;
}

/** A consumer's name: the group and a digest of the topic (names may not hold dots). */
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

/** One JetStream message as a delivery; the headers are read once, when first asked for. */
class NatsDelivery implements Delivery {
  readonly id: string;
  readonly key: string | undefined;
  readonly body: Uint8Array;
  readonly deliveries: number;
  private own?: Record<string, string>;
  private done = false;

  constructor(
    readonly topic: string,
    private readonly m: Msg,
    private readonly puller: Puller,
    private readonly outbox: Outbox,
  ) {
    const h = m.headers;
    const msgId = h?.get(MSG_ID) ?? '';
    // the reply subject: $JS.ACK.[<domain>.<account>.]<stream>.<consumer>.<count>.<stream seq>...
    const info = m.reply!.split('.');
    const at = info.length === 9 ? 4 : 6;
    this.id =
      (msgId.startsWith(`${topic}:`) ? msgId.slice(topic.length + 1) : msgId) || info[at + 1]!;
    this.key = h?.get(KEY) || undefined;
    this.body = m.data;
    // the server's count: a message handed out again after a stop or a crash goes on counting
    this.deliveries = Number(info[at]);
  }

  get headers(): Record<string, string> {
    return (this.own ??= ownHeaders(this.m.headers));
  }

  ack(): void {
    this.settle(true);
  }

  retry(): void {
    this.settle(false);
  }

  touch(): void {
    safely(() => this.m.respond(WORKING));
  }

  private settle(ack: boolean): void {
    if (this.done) return;
    this.done = true;
    this.puller.settled(this.m);
    this.outbox.add(this.m, ack);
  }
}

/**
 * Acknowledgements wait for the end of the event loop's turn and go out
 * together: handlers settle one by one in separate ticks, and a write to the
 * socket for each would cost more than the handling itself.
 */
class Outbox {
  private messages: Msg[] = [];
  private acks: boolean[] = [];

  add(m: Msg, ack: boolean): void {
    if (this.messages.push(m) === 1) setImmediate(() => this.flush());
    this.acks.push(ack);
  }

  /** Hands every pending acknowledgement to the connection now. */
  flush(): void {
    const { messages, acks } = this;
    this.messages = [];
    this.acks = [];
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      safely(() => m.respond(acks[i] ? ACK : NAK));
    }
  }
}

function ownHeaders(h: MsgHdrs | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of h?.keys() ?? []) if (!reserved(name)) headers[name] = h!.get(name);
  return headers;
}

/** A lost connection loses the acknowledgement too: the server hands the message out again. */
function safely(action: () => void): void {
  try {
    action();
  } catch {
    /* redelivered after ackWait */
  }
}

/**
 * Keeps up to `buffer` messages pulled and unsettled, on one inbox
 * subscription for the puller's life: asks the server for more (a pull
 * request on the inbox) once a quarter of the buffer is free, without waiting
 * for earlier requests to end, so messages keep flowing while handlers run.
 * Each request lives `PULL_EXPIRES` on the server; what it did not get is
 * reported back in its end status, which keeps the count of messages asked
 * for exact. Every half `ackWait` it tells the server that the unsettled ones
 * are still being worked on: a message waiting in memory or handled for long
 * is not handed out a second time meanwhile.
 */
class Puller {
  private readonly held = new Set<Msg>();
  /** Arrived while stopping: returned once no request of ours is left on the server. */
  private readonly late: Msg[] = [];
  private readonly sub: Subscription;
  private readonly inbox: string;
  private readonly next: string;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly watchdog: NodeJS.Timeout;
  /** Messages asked for that have not arrived yet. */
  private asked = 0;
  private lastAsk = 0;
  private stopped = false;
  private pausing = false;
  private ended?: () => void;

  constructor(
    private readonly nc: NatsConnection,
    core: NatsCore,
    stream: string,
    consumer: string,
    private readonly buffer: number,
    ackWait: number,
    private readonly deliver: (m: Msg, puller: Puller) => void,
  ) {
    this.inbox = core.createInbox();
    this.next = `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;
    this.sub = nc.subscribe(this.inbox, {
      callback: (err, m) => {
        if (!err) this.arrived(m);
      },
    });
    this.heartbeat = setInterval(() => {
      for (const m of this.held) safely(() => m.respond(WORKING));
    }, ackWait / 2);
    this.heartbeat.unref();
    // an end status lost with the connection: every request has run out by now
    this.watchdog = setInterval(() => {
      if (this.asked > 0 && Date.now() - this.lastAsk > 2 * PULL_EXPIRES) this.answered(this.asked);
    }, PULL_EXPIRES);
    this.watchdog.unref();
    this.refill();
  }

  /** Stops asking; resolves once no request of ours is left on the server. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.asked > 0) await new Promise<void>((resolve) => (this.ended = resolve));
  }

  /** Every message handed out is settled: no more heartbeats, no more inbox. */
  close(): void {
    clearInterval(this.heartbeat);
    clearInterval(this.watchdog);
    safely(() => this.sub.unsubscribe());
  }

  /** A message this puller handed out was settled. */
  settled(m: Msg): void {
    if (this.held.delete(m)) this.refill();
  }

  private arrived(m: Msg): void {
    if (!m.reply) {
      // a request's end: how many it did not get, or a refusal
      if (m.headers?.code !== 408) this.pause();
      this.answered(Number(m.headers?.get(PENDING_MESSAGES) || 0));
      return;
    }
    this.asked = Math.max(0, this.asked - 1);
    if (this.stopped) {
      this.late.push(m);
      this.answered(0);
      return;
    }
    this.held.add(m);
    this.deliver(m, this);
  }

  /** `count` messages asked for will not come (any more). */
  private answered(count: number): void {
    this.asked = Math.max(0, this.asked - count);
    if (!this.stopped) return this.refill();
    if (this.asked > 0) return;
    // back to the server for another subscriber, now that no request of ours is left
    for (const m of this.late.splice(0)) safely(() => m.respond(NAK));
    this.ended?.();
  }

  private pause(): void {
    this.pausing = true;
    setTimeout(() => {
      this.pausing = false;
      this.refill();
    }, 250).unref();
  }

  private refill(): void {
    if (this.stopped || this.pausing || this.nc.isClosed()) return;
    const room = this.buffer - this.held.size - this.asked;
    if (room < Math.max(1, this.buffer / 4)) return;
    this.asked += room;
    this.lastAsk = Date.now();
    const request = JSON.stringify({ batch: room, expires: PULL_EXPIRES * 1_000_000 });
    safely(() => this.nc.publish(this.next, request, { reply: this.inbox }));
  }
}
