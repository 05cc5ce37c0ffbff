import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { importPeer, type InitContext, type Logger, type Plugin } from '../../src/index.js';
import type { RouteHandler, Routes } from '../http/index.js';
import type { Metrics } from '../prometheus/index.js';
import type { StatusReporter } from '../status-check/index.js';
import { hs256Verifier, type TokenVerifier } from './auth.js';
import type { Broker, HistoryQuery, HistoryResult } from './broker.js';
import { EventsBroker } from './broker-events.js';
import { MemoryBroker } from './broker-memory.js';
import type { EventBus } from '../events/types.js';
import { RedisBroker, type RedisClientLike } from './broker-redis.js';
import { RealtimeConfig } from './config.js';
import { Hub, type RealtimeStats } from './hub.js';
import { realtimeMetrics } from './metrics.js';
import { Namespaces, type NamespacesOptions } from './namespaces.js';
import {
  Disconnects,
  type ClientInfo,
  type ConnectRequest,
  type StreamPosition,
} from './protocol.js';
import { Session } from './session.js';
import { SseTransport, WebSocketTransport } from './transport.js';

export { TokenExpiredError, type TokenClaims, type TokenVerifier } from './auth.js';
export type {
  Broker,
  BrokerHandler,
  ControlMessage,
  HistoryQuery,
  HistoryResult,
  StreamOptions,
} from './broker.js';
export { EventsBroker, type EventsBrokerOptions } from './broker-events.js';
export { MemoryBroker } from './broker-memory.js';
export { RedisBroker, type RedisBrokerOptions, type RedisClientLike } from './broker-redis.js';
export { RealtimeConfig } from './config.js';
export type { RealtimeStats } from './hub.js';
export type {
  NamespaceOptions,
  NamespacesOptions,
  SubscribeRequestContext,
  SubscribeRule,
} from './namespaces.js';
export { Disconnects, Errors } from './protocol.js';
export type { ClientInfo, Publication, StreamPosition } from './protocol.js';

/** What server code uses to reach the clients of every replica. */
export interface Realtime {
  /** Publishes `data` into `channel`; resolves with its position when the channel keeps history. */
  publish(channel: string, data: unknown): Promise<StreamPosition | undefined>;
  /** The clients subscribed to `channel`, by client id (namespaces with presence). */
  presence(channel: string): Promise<Record<string, ClientInfo>>;
  /** The channel's kept publications, oldest first, and its position. */
  history(channel: string, query?: Pick<HistoryQuery, 'since' | 'limit'>): Promise<HistoryResult>;
  /** Disconnects every connection of `user` on every replica, without reconnect. */
  disconnect(user: string): Promise<void>;
  /** This replica's figures. */
  stats(): RealtimeStats;
}

/** The part of the HTTP plugin the realtime plugin needs: a route and the Node server. */
export interface RealtimeHttp extends Routes {
  nodeServer(): Server | undefined;
}

/** Options given in code: namespaces, and a broker instead of the `broker` setting. */
export interface RealtimeOptions extends NamespacesOptions {
  broker?: Broker;
}

/**
 * Real-time channels in the Centrifuge client protocol (JSON), so that the
 * official Centrifuge SDKs connect unchanged: a WebSocket endpoint on the HTTP
 * server's port and a receive-only SSE endpoint, with history and recovery,
 * presence, join/leave, and fan-out across replicas through a broker.
 */
export class RealtimePlugin implements Plugin, Realtime {
  static readonly configClass = RealtimeConfig;
  deps!: {
    http: RealtimeHttp;
    status?: StatusReporter;
    metrics?: Metrics;
    /** Checks connection tokens (e.g. the auth plugin); else the `tokenSecret` setting. */
    auth?: TokenVerifier;
    /** A connected node-redis client: replicas share fan-out, history and presence through it. */
    redis?: RedisClientLike;
    /** The event bus (events plugin on NATS or RabbitMQ): replicas share fan-out and presence through it. */
    events?: EventBus;
  };
  private hub: Hub | undefined;
  private wss?: WebSocketServer;
  private server: Server | undefined;
  private accepting = false;
  private readonly sockets = new Set<WebSocket>();
  private drained?: () => void;
  private removeMetrics?: () => void;
  private log?: Logger;

  constructor(private readonly options: RealtimeOptions = {}) {}

  async init(ctx: InitContext): Promise<void> {
    const config = ctx.config(RealtimeConfig);
    this.log = ctx.log;
    const namespaces = new Namespaces(this.options);
    const { WebSocketServer } = await importPeer(ctx.name, 'ws', () => import('ws'));
    let verifier = this.deps.auth;
    if (!verifier && config.tokenSecret) {
      const secret = config.tokenSecret;
      verifier = await importPeer(ctx.name, 'jose', () => hs256Verifier(secret));
    }
    if (!verifier && !config.anonymous)
      ctx.log.warn('no token check and anonymous connections off: every connect is refused');
    const broker = await this.broker(ctx, config);
    const hub = new Hub(config, namespaces, broker, verifier, ctx.log);
    broker.onHealth?.((error) => {
      if (error) this.deps.status?.report(ctx.name, 'error', error);
      else this.deps.status?.report(ctx.name, 'ok');
    });
    await broker.start(hub);
    this.hub = hub;
    this.server = this.deps.http.nodeServer();
    if (!this.server)
      throw new Error('the http plugin has no server yet: start it before realtime');
    this.wss = new WebSocketServer({ noServer: true, maxPayload: config.maxMessageSize });
    this.server.on('upgrade', this.onUpgrade);
    this.deps.http.route('GET', config.ssePath, this.onSse);
    if (this.deps.metrics)
      this.removeMetrics = realtimeMetrics(this.deps.metrics.registry, hub.stats);
  }

  afterInit(): void {
    this.accepting = true;
    this.hub?.startPinging();
  }

  /** Stops accepting, sends every client the shutdown disconnect, waits for them within the drain limit. */
  async beforeClose(): Promise<void> {
    this.accepting = false;
    const hub = this.hub;
    if (!hub) return;
    hub.stopPinging();
    for (const session of [...hub.sessions]) session.disconnect(Disconnects.shutdown);
    if (this.sockets.size === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, hub.config.drainTimeout);
      timer.unref();
      this.drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    for (const ws of this.sockets) ws.terminate();
  }

  async close(): Promise<void> {
    this.server?.off('upgrade', this.onUpgrade);
    for (const ws of this.sockets) ws.terminate();
    this.wss?.close();
    this.removeMetrics?.();
    await this.hub?.broker.close();
    this.hub = undefined;
  }

  publish(channel: string, data: unknown): Promise<StreamPosition | undefined> {
    return this.running().publish(channel, data);
  }

  presence(channel: string): Promise<Record<string, ClientInfo>> {
    return this.running().broker.presence(channel);
  }

  history(
    channel: string,
    query: Pick<HistoryQuery, 'since' | 'limit'> = {},
  ): Promise<HistoryResult> {
    return this.running().broker.history(channel, query);
  }

  disconnect(user: string): Promise<void> {
    return this.running().broker.control({ type: 'disconnect', user });
  }

  stats(): RealtimeStats {
    return { ...this.running().stats };
  }

  private running(): Hub {
    if (!this.hub) throw new Error('the realtime plugin is not running: call it after its init');
    return this.hub;
  }

  private async broker(ctx: InitContext, config: RealtimeConfig): Promise<Broker> {
    if (this.options.broker) return this.options.broker;
    const prefix = config.redisPrefix;
    if (this.deps.redis) return new RedisBroker({ client: this.deps.redis, prefix, log: ctx.log });
    if (this.deps.events)
      return new EventsBroker({ bus: this.deps.events, topic: config.eventsTopic, log: ctx.log });
    if (config.broker === 'memory') return new MemoryBroker();
    if (/^rediss?:\/\//.test(config.broker)) {
      const { createClient } = await importPeer(ctx.name, 'redis', () => import('redis'));
      const client = createClient({ url: config.broker }) as unknown as RedisClientLike;
      return new RedisBroker({ client, prefix, log: ctx.log, owned: true });
    }
    throw new Error(
      `realtime broker "${config.broker.replace(/\/\/[^@]*@/, '//***@')}" is unknown: use "memory" or a redis:// URL`,
    );
  }

  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const hub = this.hub;
    const path = (req.url ?? '').split('?')[0];
    if (!hub || path !== hub.config.path) {
      if (this.server?.listenerCount('upgrade') === 1) socket.destroy();
      return;
    }
    const refusal = this.refusal(hub);
    if (refusal) {
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${refusal.length}\r\n\r\n${refusal}`,
      );
      return;
    }
    this.wss?.handleUpgrade(req, socket, head, (ws) => this.accept(hub, ws));
  };

  /** Why a new connection is refused now, if it is. */
  private refusal(hub: Hub): string | undefined {
    if (!this.accepting) return 'not accepting connections: starting or stopping';
    if (hub.sessions.size >= hub.config.maxConnections)
      return `connection limit of ${hub.config.maxConnections} reached`;
    return undefined;
  }

  private accept(hub: Hub, ws: WebSocket): void {
    // the handshake finished after the stop began
    if (!this.accepting)
      return void ws.close(Disconnects.shutdown.code, Disconnects.shutdown.reason);
    this.sockets.add(ws);
    const session = new Session(hub, new WebSocketTransport(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) session.disconnect(Disconnects.badRequest);
      else session.receive(data.toString());
    });
    ws.on('error', (err) => this.log?.debug(`client ${session.id}: ${err.message}`));
    ws.on('close', () => {
      session.closed();
      this.sockets.delete(ws);
      if (this.sockets.size === 0) this.drained?.();
    });
  }

  /** The receive-only SSE endpoint: `?cf_connect=<connect request as JSON>`. */
  private readonly onSse: RouteHandler = (req, reply) => {
    const hub = this.hub;
    if (!hub) return void reply.status(503).send('');
    const refusal = this.refusal(hub);
    if (refusal) return void reply.status(503).json({ error: refusal });
    let request: ConnectRequest = {};
    const raw = req.query.cf_connect;
    if (typeof raw === 'string') {
      try {
        request = JSON.parse(raw) as ConnectRequest;
      } catch {
        return void reply.status(400).json({ error: 'cf_connect is not JSON' });
      }
    }
    if (typeof request !== 'object' || request === null)
      return void reply.status(400).json({ error: 'cf_connect is not a JSON object' });
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
    });
    req.raw.socket.setNoDelay(true);
    const session = new Session(hub, new SseTransport(res));
    res.on('close', () => session.closed());
    session.connectUni(request);
  };
}
