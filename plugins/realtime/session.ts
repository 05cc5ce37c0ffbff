import { randomUUID } from 'node:crypto';
import { messageOf } from '../../src/index.js';
import { isExpired, type TokenClaims } from './auth.js';
import type { Hub } from './hub.js';
import { maySubscribe, type Namespace } from './namespaces.js';
import {
  Disconnects,
  Errors,
  methodOf,
  type ClientInfo,
  type Command,
  type ConnectRequest,
  type Disconnect,
  type HistoryRequest,
  type Method,
  type Publication,
  type ReplyError,
  type SubscribeRequest,
  type SubscribeResult,
} from './protocol.js';
import type { SharedPush, Transport } from './transport.js';

/** A command refused with a reply error; the connection stays. */
class Refusal extends Error {
  constructor(readonly error: ReplyError) {
    super(error.message);
  }
}

/** A command that ends the connection. */
class Disconnection extends Error {
  constructor(readonly disconnect: Disconnect) {
    super(disconnect.reason);
  }
}

/** One subscription of a session. */
interface Subscription {
  namespace: Namespace;
  /** False until the subscribe reply went out; publications wait in `pending` until then. */
  live: boolean;
  pending: Publication[];
  /** The stream's offset the reply carried; pending publications up to it were in the reply. */
  top: number;
}

/** Publications a subscription in progress holds before it is dropped as slow. */
const MAX_PENDING = 10_000;

/** The server's name in connect replies. */
const VERSION = 'flavorkit';

/**
 * One client connection: decodes its commands (one JSON object per line),
 * answers them in order, and receives the pushes of its channels.
 */
export class Session {
  readonly id = randomUUID();
  user = '';
  private connInfo: unknown;
  private state: 'connecting' | 'connected' | 'closed' = 'connecting';
  private readonly subs = new Map<string, Subscription>();
  private queue: Promise<void> = Promise.resolve();
  private pingSentAt = 0;
  private connectTimer?: NodeJS.Timeout;
  private expiryTimer?: NodeJS.Timeout;

  constructor(
    private readonly hub: Hub,
    readonly transport: Transport,
  ) {
    hub.sessions.add(this);
    hub.stats.connections = hub.sessions.size;
    this.connectTimer = setTimeout(
      () => this.disconnect(Disconnects.stale),
      hub.config.connectTimeout,
    );
    this.connectTimer.unref();
  }

  /** A text frame from the client: commands separated by newlines. */
  receive(text: string): void {
    if (this.state === 'closed') return;
    this.pingSentAt = 0;
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let command: unknown;
      try {
        command = JSON.parse(line);
      } catch {
        this.disconnect(Disconnects.badRequest);
        return;
      }
      if (typeof command !== 'object' || command === null || Array.isArray(command)) {
        this.disconnect(Disconnects.badRequest);
        return;
      }
      const method = methodOf(command as Record<string, unknown>);
      const id = (command as Command).id;
      const validId = typeof id === 'number' && Number.isInteger(id) && id > 0;
      if (!method || (method !== 'pong' && method !== 'send' && !validId)) {
        this.disconnect(Disconnects.badRequest);
        return;
      }
      if (method === 'pong') continue;
      this.hub.stats.messagesIn += 1;
      this.queue = this.queue.then(() => this.run(method, command as Command));
    }
  }

  /** Connects a client that only receives (SSE): the connect request came with the request. */
  connectUni(request: ConnectRequest): void {
    this.queue = this.queue.then(() => this.run('connect', { connect: request }));
  }

  /** Sends a push of `channel` encoded once for many; false when it was not sent now. */
  deliver(channel: string, push: SharedPush, publication?: Publication): boolean {
    const sub = this.subs.get(channel);
    if (!sub || this.state === 'closed') return false;
    if (!sub.live) {
      if (publication) sub.pending.push(publication);
      if (sub.pending.length > MAX_PENDING) this.dropSlow();
      return false;
    }
    this.transport.sendShared(push);
    this.checkBuffered();
    return true;
  }

  /** The server's ping; a client that did not answer the previous one is disconnected. */
  ping(): void {
    if (this.state !== 'connected') return;
    if (this.transport.kind === 'ws') {
      if (this.pingSentAt > 0 && Date.now() - this.pingSentAt > this.hub.config.pongTimeout) {
        this.disconnect(Disconnects.noPong);
        return;
      }
      this.transport.reply('{}');
      if (this.pingSentAt === 0) this.pingSentAt = Date.now();
    } else this.transport.push('{}');
    this.refreshPresence();
  }

  /** True once the connection ended (read after an await, the state may have changed). */
  isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Ends the connection with `disconnect`, leaving every channel. */
  disconnect(disconnect: Disconnect): void {
    if (this.state === 'closed') return;
    this.closed();
    this.transport.close(disconnect);
  }

  /** The transport closed by itself: leave every channel. */
  closed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.connectTimer);
    clearTimeout(this.expiryTimer);
    for (const channel of [...this.subs.keys()]) this.unsubscribe(channel);
    this.hub.remove(this);
  }

  private async run(method: Method, command: Command): Promise<void> {
    if (this.state === 'closed') return;
    try {
      if (this.state === 'connecting' && method !== 'connect')
        throw new Disconnection(Disconnects.badRequest);
      await this.handle(method, command);
    } catch (err) {
      if (err instanceof Disconnection) this.disconnect(err.disconnect);
      else if (err instanceof Refusal && this.transport.kind === 'sse')
        this.disconnect({ code: Disconnects.permissionDenied.code, reason: err.error.message });
      else if (err instanceof Refusal) this.replyError(command.id, err.error);
      else {
        this.hub.log.error(`${method} failed: ${messageOf(err)}`);
        this.replyError(command.id, Errors.internal);
      }
    }
  }

  private async handle(method: Method, command: Command): Promise<void> {
    const id = command.id ?? 0;
    switch (method) {
      case 'connect':
        return this.connect(id, command.connect ?? {});
      case 'subscribe': {
        const request = command.subscribe ?? {};
        const channel = this.channelOf(request.channel);
        const result = await this.prepare(channel, request, true);
        this.reply(id, 'subscribe', result);
        return this.goLive(channel);
      }
      case 'unsubscribe':
        this.unsubscribe(this.channelOf(command.unsubscribe?.channel));
        return this.reply(id, 'unsubscribe', {});
      case 'publish':
        return this.publish(id, command.publish ?? {});
      case 'history':
        return this.history(id, command.history ?? {});
      case 'presence': {
        const channel = this.presenceChannel(command.presence?.channel);
        const presence = await this.hub.broker.presence(channel);
        return this.reply(id, 'presence', { presence });
      }
      case 'presence_stats': {
        const channel = this.presenceChannel(command.presence_stats?.channel);
        const presence = Object.values(await this.hub.broker.presence(channel));
        const users = new Set(presence.map((p) => p.user));
        return this.reply(id, 'presence_stats', {
          num_clients: presence.length,
          num_users: users.size,
        });
      }
      case 'refresh': {
        const claims = await this.authenticate(command.refresh?.token);
        this.setExpiry(claims.exp);
        return this.reply(id, 'refresh', { client: this.id, version: VERSION, ...this.ttl() });
      }
      case 'ping':
        return this.reply(id, 'ping', {});
      case 'send':
        // asynchronous messages have no handler on this server
        return;
    }
  }

  private async connect(id: number, request: ConnectRequest): Promise<void> {
    if (this.state !== 'connecting') throw new Disconnection(Disconnects.badRequest);
    clearTimeout(this.connectTimer);
    const claims = await this.authenticate(request.token);
    if (this.isClosed()) return;
    this.user = typeof claims.sub === 'string' ? claims.sub : '';
    this.connInfo = claims.info;
    if (!this.hub.addUser(this)) throw new Disconnection(Disconnects.connectionLimit);
    this.state = 'connected';
    this.setExpiry(claims.exp);
    const result: Record<string, unknown> = {
      client: this.id,
      version: VERSION,
      ping: this.hub.config.pingInterval,
      pong: true,
      ...this.ttl(),
    };
    // server-side subscriptions: the token's channels, and (SSE) the channels asked for
    const granted = new Set(Array.isArray(claims.channels) ? claims.channels : []);
    const asked = this.transport.kind === 'sse' ? Object.keys(request.subs ?? {}) : [];
    const subs: Record<string, SubscribeResult> = {};
    for (const channel of new Set([...granted, ...asked])) {
      const sub = request.subs?.[channel] ?? {};
      subs[channel] = await this.prepare(this.channelOf(channel), sub, !granted.has(channel));
    }
    if (Object.keys(subs).length > 0) result.subs = subs;
    if (this.transport.kind === 'sse') this.transport.push(JSON.stringify({ connect: result }));
    else this.reply(id, 'connect', result);
    for (const channel of Object.keys(subs)) await this.goLive(channel);
  }

  /** Checks a token; no token is an anonymous connection when those are allowed. */
  private async authenticate(token: string | undefined): Promise<TokenClaims> {
    if (!token) {
      if (this.hub.config.anonymous) return {};
      throw new Refusal(Errors.unauthorized);
    }
    if (!this.hub.verifier) throw new Disconnection(Disconnects.invalidToken);
    let claims: TokenClaims;
    try {
      claims = await this.hub.verifier.verify(token);
    } catch (err) {
      if (isExpired(err)) throw new Refusal(Errors.tokenExpired);
      throw new Disconnection(Disconnects.invalidToken);
    }
    if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now())
      throw new Refusal(Errors.tokenExpired);
    return claims;
  }

  private setExpiry(exp: number | undefined): void {
    clearTimeout(this.expiryTimer);
    this.expiry = typeof exp === 'number' ? exp : undefined;
    if (this.expiry === undefined) return;
    const ms = Math.min(this.expiry * 1000 - Date.now(), 2 ** 31 - 1);
    this.expiryTimer = setTimeout(() => this.disconnect(Disconnects.expired), ms);
    this.expiryTimer.unref();
  }

  private expiry: number | undefined;

  private ttl(): { expires?: boolean; ttl?: number } {
    if (this.expiry === undefined) return {};
    return { expires: true, ttl: Math.max(1, Math.floor(this.expiry - Date.now() / 1000)) };
  }

  /**
   * Subscribes, holding live publications back until the reply is out; with
   * history, finds what the client missed since its position.
   */
  private async prepare(
    channel: string,
    request: SubscribeRequest,
    checkRule: boolean,
  ): Promise<SubscribeResult> {
    const namespace = this.hub.namespaces.of(channel);
    if (!namespace) throw new Refusal(Errors.unknownChannel);
    if (this.subs.has(channel)) throw new Refusal(Errors.alreadySubscribed);
    if (this.subs.size >= this.hub.config.channelsPerClient)
      throw new Refusal(Errors.limitExceeded);
    if (checkRule) {
      const allowed = await maySubscribe(namespace.subscribe, {
        channel,
        user: this.user,
        client: this.id,
      });
      if (!allowed) throw new Refusal(Errors.permissionDenied);
    }
    if (this.state === 'closed') throw new Disconnection(Disconnects.badRequest);
    const sub: Subscription = { namespace, live: false, pending: [], top: 0 };
    this.subs.set(channel, sub);
    try {
      await this.hub.addSubscriber(channel, this);
      const result: SubscribeResult = {};
      if (namespace.historySize > 0) {
        const since = request.recover
          ? { offset: numberOr(request.offset, 0), epoch: stringOr(request.epoch, '') }
          : undefined;
        const history = await this.hub.broker.history(channel, since ? { since } : { limit: 0 });
        sub.top = history.offset;
        Object.assign(result, { recoverable: true, epoch: history.epoch, offset: history.offset });
        if (since) {
          const missed = history.offset - since.offset;
          const recovered =
            (since.epoch === '' || since.epoch === history.epoch) &&
            missed >= 0 &&
            history.publications.length === missed;
          result.was_recovering = true;
          result.recovered = recovered;
          if (recovered && missed > 0) result.publications = history.publications;
        }
      }
      if (namespace.presence)
        await this.hub.broker.addPresence(channel, this.info(), this.presenceTtl());
      return result;
    } catch (err) {
      this.subs.delete(channel);
      this.hub.removeSubscriber(channel, this);
      throw err;
    }
  }

  /** Sends what arrived while subscribing, past what the reply carried, then goes live. */
  private async goLive(channel: string): Promise<void> {
    const sub = this.subs.get(channel);
    if (!sub || this.state === 'closed') return;
    sub.live = true;
    for (const publication of sub.pending) {
      if (publication.offset !== undefined && publication.offset <= sub.top) continue;
      this.transport.push(
        `{"channel":${JSON.stringify(channel)},"pub":${JSON.stringify(publication)}}`,
      );
    }
    sub.pending = [];
    if (this.checkBuffered()) return;
    if (sub.namespace.joinLeave) await this.hub.broker.joinLeave(channel, 'join', this.info());
  }

  private unsubscribe(channel: string): void {
    const sub = this.subs.get(channel);
    if (!sub) return;
    this.subs.delete(channel);
    this.hub.removeSubscriber(channel, this);
    const broker = this.hub.broker;
    const failed = (err: unknown) => this.hub.brokerFailed(err);
    if (sub.namespace.presence) broker.removePresence(channel, this.id).catch(failed);
    if (sub.namespace.joinLeave && sub.live)
      broker.joinLeave(channel, 'leave', this.info()).catch(failed);
  }

  private async publish(id: number, request: { channel?: string; data?: unknown }): Promise<void> {
    const channel = this.channelOf(request.channel);
    const sub = this.subs.get(channel);
    if (!this.hub.namespaces.of(channel)) throw new Refusal(Errors.unknownChannel);
    if (!sub?.namespace.publish) throw new Refusal(Errors.permissionDenied);
    if (request.data === undefined) throw new Refusal(Errors.badRequest);
    await this.hub.publish(channel, request.data, this.info());
    this.reply(id, 'publish', {});
  }

  private async history(id: number, request: HistoryRequest): Promise<void> {
    const channel = this.channelOf(request.channel);
    const sub = this.subs.get(channel);
    if (!this.hub.namespaces.of(channel)) throw new Refusal(Errors.unknownChannel);
    if (!sub) throw new Refusal(Errors.permissionDenied);
    if (sub.namespace.historySize === 0) throw new Refusal(Errors.notAvailable);
    const query: { limit?: number; reverse?: boolean; since?: { offset: number; epoch: string } } =
      {};
    if (typeof request.limit === 'number' && request.limit >= 0) query.limit = request.limit;
    if (request.reverse === true) query.reverse = true;
    if (request.since)
      query.since = {
        offset: numberOr(request.since.offset, 0),
        epoch: stringOr(request.since.epoch, ''),
      };
    const result = await this.hub.broker.history(channel, query);
    this.reply(id, 'history', result);
  }

  /** A channel the session is subscribed to, in a namespace that keeps presence. */
  private presenceChannel(name: unknown): string {
    const channel = this.channelOf(name);
    const sub = this.subs.get(channel);
    if (!this.hub.namespaces.of(channel)) throw new Refusal(Errors.unknownChannel);
    if (!sub) throw new Refusal(Errors.permissionDenied);
    if (!sub.namespace.presence) throw new Refusal(Errors.notAvailable);
    return channel;
  }

  /** A channel name from a command; a missing or over-long one ends the connection. */
  private channelOf(name: unknown): string {
    if (typeof name !== 'string' || name === '' || name.length > this.hub.config.maxChannelLength)
      throw new Disconnection(Disconnects.badRequest);
    return name;
  }

  private info(): ClientInfo {
    const info: ClientInfo = { user: this.user, client: this.id };
    if (this.connInfo !== undefined) info.conn_info = this.connInfo;
    return info;
  }

  private presenceTtl(): number {
    return this.hub.config.presenceTtl * 1000;
  }

  private refreshPresence(): void {
    for (const [channel, sub] of this.subs) {
      if (!sub.namespace.presence) continue;
      this.hub.broker
        .addPresence(channel, this.info(), this.presenceTtl())
        .catch((err: unknown) => this.hub.brokerFailed(err));
    }
  }

  /**
   * Drops the client when what waits to be sent to it passed `sendBufferLimit`: it does
   * not read. True when it dropped it.
   */
  private checkBuffered(): boolean {
    if (this.transport.buffered() <= this.hub.config.sendBufferLimit) return false;
    this.dropSlow();
    return true;
  }

  private dropSlow(): void {
    this.hub.stats.slowDisconnects += 1;
    this.disconnect(Disconnects.slow);
  }

  private reply(id: number, method: string, result: unknown): void {
    if (this.state === 'closed') return;
    this.transport.reply(`{"id":${id},"${method}":${JSON.stringify(result)}}`);
    this.checkBuffered();
  }

  private replyError(id: number | undefined, error: ReplyError): void {
    if (this.state === 'closed' || !id) return;
    this.transport.reply(JSON.stringify({ id, error }));
    this.checkBuffered();
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
