import type { ClientInfo, Publication, StreamPosition } from './protocol.js';

/** How a channel keeps its history. */
export interface StreamOptions {
  /** Publications kept; 0 keeps none. */
  size: number;
  /** Ms the history lives after the last publication. */
  ttlMs: number;
}

/** Which part of a channel's history to read. */
export interface HistoryQuery {
  /** Only publications after this position; a different epoch reads nothing. */
  since?: StreamPosition;
  /** At most this many; 0 reads only the stream position; default all. */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

/** Publications read from a channel's history, and its current position. */
export interface HistoryResult extends StreamPosition {
  publications: Publication[];
}

/** A message for every replica, such as disconnecting a user everywhere. */
export type ControlMessage = { type: 'disconnect'; user: string };

/** What a broker calls when a message reaches this replica. */
export interface BrokerHandler {
  publication(channel: string, publication: Publication): void;
  join(channel: string, info: ClientInfo): void;
  leave(channel: string, info: ClientInfo): void;
  control(message: ControlMessage): void;
}

/**
 * Fan-out, history and presence shared by the replicas of a service. The memory
 * broker serves one process; the Redis broker serves several.
 */
export interface Broker {
  /** Connects and starts delivering to `handler`. */
  start(handler: BrokerHandler): Promise<void>;
  /** Stops delivering and releases connections. */
  close(): Promise<void>;
  /** This replica wants the messages of `channel`. */
  subscribe(channel: string): Promise<void>;
  /** This replica no longer wants the messages of `channel`. */
  unsubscribe(channel: string): Promise<void>;
  /**
   * Publishes to every replica; with a stream, first appends to the history and
   * gives the publication its offset. Returns the new position (with a stream).
   */
  publish(
    channel: string,
    publication: Publication,
    stream?: StreamOptions,
  ): Promise<StreamPosition | undefined>;
  /** Tells every replica that `info` joined or left `channel`. */
  joinLeave(channel: string, kind: 'join' | 'leave', info: ClientInfo): Promise<void>;
  /** Sends `message` to every replica, this one included. */
  control(message: ControlMessage): Promise<void>;
  /** Reads a channel's history and its position. */
  history(channel: string, query: HistoryQuery): Promise<HistoryResult>;
  /** Adds or refreshes a presence entry for `ttlMs`. */
  addPresence(channel: string, info: ClientInfo, ttlMs: number): Promise<void>;
  /** Removes a presence entry. */
  removePresence(channel: string, client: string): Promise<void>;
  /** The clients present in `channel`, by client id. */
  presence(channel: string): Promise<Record<string, ClientInfo>>;
  /** Called with an error when the broker's server is lost, without one when it is back. */
  onHealth?(listener: (error?: Error) => void): void;
}

/** Picks publications of `all` (oldest first) for `query`. */
export function selectHistory(
  all: Publication[],
  position: StreamPosition,
  query: HistoryQuery,
): HistoryResult {
  let publications = all;
  if (query.since) {
    if (query.since.epoch && query.since.epoch !== position.epoch) publications = [];
    else {
      const after = query.since.offset;
      publications = publications.filter((p) => (p.offset ?? 0) > after);
    }
  }
  if (query.reverse) publications = [...publications].reverse();
  if (query.limit !== undefined && query.limit >= 0)
    publications = publications.slice(0, query.limit);
  return { ...position, publications };
}

/** A random stream epoch. */
export function newEpoch(): string {
  return Math.random().toString(36).slice(2, 10);
}
