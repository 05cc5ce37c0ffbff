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

interface Stream {
  epoch: string;
  offset: number;
  publications: Publication[];
  /** When the history expires (the position is kept). */
  expiresAt: number;
}

/** The broker of a single process: history and presence in memory, fan-out in process. */
export class MemoryBroker implements Broker {
  private handler: BrokerHandler | undefined;
  private readonly streams = new Map<string, Stream>();
  /** Presence entries by channel and client, each with the time it expires. */
  private readonly presences = new Map<
    string,
    Map<string, { info: ClientInfo; expiresAt: number }>
  >();
  private readonly subscribed = new Set<string>();

  start(handler: BrokerHandler): Promise<void> {
    this.handler = handler;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.handler = undefined;
    this.streams.clear();
    this.subscribed.clear();
    this.presences.clear();
    return Promise.resolve();
  }

  subscribe(channel: string): Promise<void> {
    this.subscribed.add(channel);
    return Promise.resolve();
  }

  unsubscribe(channel: string): Promise<void> {
    this.subscribed.delete(channel);
    return Promise.resolve();
  }

  publish(
    channel: string,
    publication: Publication,
    stream?: StreamOptions,
  ): Promise<StreamPosition | undefined> {
    let position: StreamPosition | undefined;
    if (stream && stream.size > 0) {
      const s = this.stream(channel);
      s.offset += 1;
      publication = { ...publication, offset: s.offset };
      s.publications.push(publication);
      if (s.publications.length > stream.size)
        s.publications.splice(0, s.publications.length - stream.size);
      s.expiresAt = Date.now() + stream.ttlMs;
      position = { offset: s.offset, epoch: s.epoch };
    }
    if (this.subscribed.has(channel)) this.handler?.publication(channel, publication);
    return Promise.resolve(position);
  }

  joinLeave(channel: string, kind: 'join' | 'leave', info: ClientInfo): Promise<void> {
    if (this.subscribed.has(channel)) this.handler?.[kind](channel, info);
    return Promise.resolve();
  }

  control(message: ControlMessage): Promise<void> {
    this.handler?.control(message);
    return Promise.resolve();
  }

  history(channel: string, query: HistoryQuery): Promise<HistoryResult> {
    const s = this.stream(channel);
    return Promise.resolve(selectHistory(s.publications, s, query));
  }

  addPresence(channel: string, info: ClientInfo, ttlMs: number): Promise<void> {
    let entries = this.presences.get(channel);
    if (!entries)
      this.presences.set(
        channel,
        (entries = new Map<string, { info: ClientInfo; expiresAt: number }>()),
      );
    entries.set(info.client, { info, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  removePresence(channel: string, client: string): Promise<void> {
    const entries = this.presences.get(channel);
    entries?.delete(client);
    if (entries?.size === 0) this.presences.delete(channel);
    return Promise.resolve();
  }

  presence(channel: string): Promise<Record<string, ClientInfo>> {
    const entries = this.presences.get(channel);
    const now = Date.now();
    const present: Record<string, ClientInfo> = {};
    for (const [client, { info, expiresAt }] of entries ?? []) {
      if (expiresAt > now) present[client] = info;
      else entries?.delete(client);
    }
    if (entries?.size === 0) this.presences.delete(channel);
    return Promise.resolve(present);
  }

  /** The channel's stream, its history dropped once expired. */
  private stream(channel: string): Stream {
    let s = this.streams.get(channel);
    if (!s) {
      s = { epoch: newEpoch(), offset: 0, publications: [], expiresAt: Infinity };
      this.streams.set(channel, s);
    } else if (s.expiresAt <= Date.now()) {
      s.publications = [];
      s.expiresAt = Infinity;
    }
    return s;
  }
}
