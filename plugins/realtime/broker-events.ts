import { randomUUID } from 'node:crypto';
import { type Logger, messageOf } from '../../src/index.js';
import type { EventBus, Subscription } from '../events/types.js';
import type {
  Broker,
  BrokerHandler,
  ControlMessage,
  HistoryQuery,
  HistoryResult,
  StreamOptions,
} from './broker.js';
import { MemoryBroker } from './broker-memory.js';
import type { ClientInfo, Publication, StreamPosition } from './protocol.js';

/** How the events broker reaches the other replicas. */
export interface EventsBrokerOptions {
  /** The event bus every replica shares (the events plugin, on NATS or RabbitMQ). */
  bus: EventBus;
  /** The topic the replicas exchange messages on. */
  topic: string;
  log?: Logger;
}

/** What one replica tells the others. */
type Body =
  | { kind: 'pub'; channel: string; publication: Publication; stream?: StreamOptions }
  | { kind: 'join' | 'leave'; channel: string; info: ClientInfo }
  | { kind: 'control'; message: ControlMessage }
  | { kind: 'present'; channel: string; info: ClientInfo; ttlMs: number }
  | { kind: 'absent'; channel: string; client: string };

/** A body with the replica that sent it. */
type Message = Body & { from: string };

/** Message ids remembered to drop a redelivery (the bus delivers at least once). */
const SEEN_IDS = 10_000;

/**
 * Replicas share channels through the event bus: every replica receives every
 * publication, join, leave, disconnect and presence change of the others.
 * Each keeps the history of what it received, in the order it arrived, under
 * an epoch of its own: a client that recovers on the replica it left gets
 * exactly what it missed; on another replica the epoch differs and the client
 * is told recovery failed. Presence entries of every replica are merged and
 * expire unless refreshed. The Redis broker shares one history instead.
 */
export class EventsBroker implements Broker {
  private readonly replica = randomUUID();
  private readonly local = new MemoryBroker();
  private subscription: Subscription | undefined;
  private readonly seen = new Set<string>();

  constructor(private readonly options: EventsBrokerOptions) {}

  async start(handler: BrokerHandler): Promise<void> {
    await this.local.start(handler);
    this.subscription = await this.options.bus.subscribe(
      this.options.topic,
      ({ id, data }) => this.received(id, data),
      { deadLetter: false },
    );
  }

  async close(): Promise<void> {
    await this.subscription?.unsubscribe();
    this.subscription = undefined;
    await this.local.close();
  }

  subscribe(channel: string): Promise<void> {
    return this.local.subscribe(channel);
  }

  unsubscribe(channel: string): Promise<void> {
    return this.local.unsubscribe(channel);
  }

  async publish(
    channel: string,
    publication: Publication,
    stream?: StreamOptions,
  ): Promise<StreamPosition | undefined> {
    const position = await this.local.publish(channel, publication, stream);
    await this.send({ kind: 'pub', channel, publication, ...(stream ? { stream } : {}) });
    return position;
  }

  async joinLeave(channel: string, kind: 'join' | 'leave', info: ClientInfo): Promise<void> {
    await this.local.joinLeave(channel, kind, info);
    await this.send({ kind, channel, info });
  }

  async control(message: ControlMessage): Promise<void> {
    await this.local.control(message);
    await this.send({ kind: 'control', message });
  }

  history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    return this.local.history(channel, query);
  }

  async addPresence(channel: string, info: ClientInfo, ttlMs: number): Promise<void> {
    await this.local.addPresence(channel, info, ttlMs);
    await this.send({ kind: 'present', channel, info, ttlMs });
  }

  async removePresence(channel: string, client: string): Promise<void> {
    await this.local.removePresence(channel, client);
    await this.send({ kind: 'absent', channel, client });
  }

  presence(channel: string): Promise<Record<string, ClientInfo>> {
    return this.local.presence(channel);
  }

  private async send(body: Body): Promise<void> {
    const message: Message = { ...body, from: this.replica };
    await this.options.bus.publish(this.options.topic, message);
  }

  /** A message of another replica: applied here as if it happened here; anything else is dropped. */
  private async received(id: string, data: unknown): Promise<void> {
    const message = data as Message | null;
    if (typeof message !== 'object' || message === null || typeof message.from !== 'string')
      return this.dropped('a message that is not from a replica');
    if (message.from === this.replica || this.seen.has(id)) return;
    this.seen.add(id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    try {
      await this.apply(message);
    } catch (err) {
      this.dropped(`a malformed message (${messageOf(err)})`);
    }
  }

  private async apply(message: Message): Promise<void> {
    switch (message.kind) {
      case 'pub':
        // the publication gets this replica's next offset
        await this.local.publish(
          message.channel,
          withoutOffset(message.publication),
          message.stream,
        );
        return;
      case 'join':
      case 'leave':
        return this.local.joinLeave(message.channel, message.kind, message.info);
      case 'control':
        return this.local.control(message.message);
      case 'present':
        return this.local.addPresence(message.channel, message.info, message.ttlMs);
      case 'absent':
        return this.local.removePresence(message.channel, message.client);
      default:
        this.dropped(
          `a message of unknown kind ${JSON.stringify((message as { kind?: unknown }).kind)}`,
        );
    }
  }

  private dropped(what: string): void {
    this.options.log?.warn(`realtime broker: dropped ${what} on topic ${this.options.topic}`);
  }
}

function withoutOffset({ offset: _offset, ...publication }: Publication): Publication {
  return publication;
}
