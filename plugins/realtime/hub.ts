import { type Logger, messageOf } from '../../src/index.js';
import type { TokenVerifier } from './auth.js';
import type { Broker, BrokerHandler, ControlMessage } from './broker.js';
import type { RealtimeConfig } from './config.js';
import type { Namespaces } from './namespaces.js';
import {
  Disconnects,
  type ClientInfo,
  type Disconnect,
  type Publication,
  type StreamPosition,
} from './protocol.js';
import type { Session } from './session.js';
import { SharedPush } from './transport.js';

/** Running figures of one replica, read by the metrics. */
export interface RealtimeStats {
  connections: number;
  subscriptions: number;
  messagesIn: number;
  messagesOut: number;
  slowDisconnects: number;
}

/** What sessions share: settings, namespaces, broker, token check, and who is where. */
export class Hub implements BrokerHandler {
  readonly stats: RealtimeStats = {
    connections: 0,
    subscriptions: 0,
    messagesIn: 0,
    messagesOut: 0,
    slowDisconnects: 0,
  };
  /** Sessions by connection, connected or not yet. */
  readonly sessions = new Set<Session>();
  private readonly users = new Map<string, Set<Session>>();
  private readonly channels = new Map<string, { sessions: Set<Session>; ready: Promise<void> }>();
  private readonly brokerCalls = new Map<string, Promise<void>>();
  private pinger?: NodeJS.Timeout;

  constructor(
    readonly config: RealtimeConfig,
    readonly namespaces: Namespaces,
    readonly broker: Broker,
    readonly verifier: TokenVerifier | undefined,
    readonly log: Logger,
  ) {}

  /** Starts pinging connected clients. */
  startPinging(): void {
    this.pinger = setInterval(() => {
      for (const session of this.sessions) session.ping();
    }, this.config.pingInterval * 1000);
    this.pinger.unref();
  }

  stopPinging(): void {
    clearInterval(this.pinger);
  }

  /** Counts `session` for its user; false when the user has too many connections. */
  addUser(session: Session): boolean {
    let set = this.users.get(session.user);
    const limit = this.config.connectionsPerUser;
    if (set && limit > 0 && session.user !== '' && set.size >= limit) return false;
    if (!set) this.users.set(session.user, (set = new Set()));
    set.add(session);
    return true;
  }

  /** Forgets a closed session. */
  remove(session: Session): void {
    if (!this.sessions.delete(session)) return;
    this.stats.connections = this.sessions.size;
    const set = this.users.get(session.user);
    set?.delete(session);
    if (set?.size === 0) this.users.delete(session.user);
  }

  /**
   * Adds `session` to the local subscribers of `channel`; resolves once the
   * replica receives the channel's messages (the first subscriber subscribes it).
   */
  addSubscriber(channel: string, session: Session): Promise<void> {
    let local = this.channels.get(channel);
    if (!local) {
      const ready = this.inOrder(channel, () => this.broker.subscribe(channel));
      local = { sessions: new Set(), ready };
      this.channels.set(channel, local);
      // a failed subscribe is retried by the next subscriber
      ready.catch(() => {
        if (this.channels.get(channel) === local) this.channels.delete(channel);
      });
    }
    local.sessions.add(session);
    this.stats.subscriptions += 1;
    return local.ready;
  }

  /** Removes `session` from the local subscribers of `channel`. */
  removeSubscriber(channel: string, session: Session): void {
    const local = this.channels.get(channel);
    if (!local?.sessions.delete(session)) return;
    this.stats.subscriptions -= 1;
    if (local.sessions.size > 0) return;
    this.channels.delete(channel);
    this.inOrder(channel, () => this.broker.unsubscribe(channel)).catch((err: unknown) =>
      this.brokerFailed(err),
    );
  }

  /** Runs the broker subscribe and unsubscribe calls of one channel one after the other. */
  private inOrder(channel: string, call: () => Promise<void>): Promise<void> {
    const previous = this.brokerCalls.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(call);
    this.brokerCalls.set(channel, next);
    const forget = () => {
      if (this.brokerCalls.get(channel) === next) this.brokerCalls.delete(channel);
    };
    next.then(forget, forget);
    return next;
  }

  /** Disconnects every session of `user` on this replica. */
  disconnectUser(user: string, disconnect: Disconnect = Disconnects.forceNoReconnect): number {
    const set = [...(this.users.get(user) ?? [])];
    for (const session of set) session.disconnect(disconnect);
    return set.length;
  }

  /** Publishes `data` into `channel` through the broker; the position when it keeps history. */
  publish(channel: string, data: unknown, info?: ClientInfo): Promise<StreamPosition | undefined> {
    const namespace = this.namespaces.of(channel);
    if (!namespace)
      return Promise.reject(new Error(`channel "${channel}" is in no configured namespace`));
    if (data === undefined) return Promise.reject(new Error('a publication needs data'));
    const publication: Publication = info ? { data, info } : { data };
    const stream =
      namespace.historySize > 0
        ? { size: namespace.historySize, ttlMs: namespace.historyTtl }
        : undefined;
    return this.broker.publish(channel, publication, stream);
  }

  publication(channel: string, publication: Publication): void {
    this.fanOut(channel, 'pub', publication, publication);
  }

  join(channel: string, info: ClientInfo): void {
    this.fanOut(channel, 'join', { info });
  }

  leave(channel: string, info: ClientInfo): void {
    this.fanOut(channel, 'leave', { info });
  }

  control(message: ControlMessage): void {
    if (message.type === 'disconnect') this.disconnectUser(message.user);
  }

  /** Sends a push to every local subscriber of `channel`, encoded once. */
  private fanOut(
    channel: string,
    kind: 'pub' | 'join' | 'leave',
    body: unknown,
    publication?: Publication,
  ): void {
    const set = this.channels.get(channel)?.sessions;
    if (!set) return;
    const push = new SharedPush(
      `{"channel":${JSON.stringify(channel)},"${kind}":${JSON.stringify(body)}}`,
    );
    let sent = 0;
    for (const session of set) if (session.deliver(channel, push, publication)) sent++;
    this.stats.messagesOut += sent;
  }

  brokerFailed(err: unknown): void {
    this.log.error(`broker call failed: ${messageOf(err)}`);
  }
}
