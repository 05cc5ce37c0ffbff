import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express, RequestHandler, Router } from 'express';
import type { FastifyInstance } from 'fastify';
import {
  importPeer,
  type InitContext,
  type Logger,
  type Plugin,
  timeLimit,
} from '../../src/index.js';
import { type AdminAuthorization, type AdminAuthorizer, adminCheck, isLoopback } from './admin.js';
import { parseSize } from './body.js';
import { HttpConfig } from './config.js';
import type { Engine, EngineSettings } from './engine.js';
import { ExpressEngine } from './express.js';
import type { FastifyEngine } from './fastify.js';
import {
  type HookHandler,
  type Hooks,
  JSON_TYPE,
  type RouteHandler,
  type RouteMethod,
  type RouteOptions,
  type Routes,
} from './neutral.js';
import { GracefulShutdown } from './shutdown.js';

export { adminAccess, isLoopback, type AdminDecision } from './admin.js';
export type { AdminAuthorization, AdminAuthorizer } from './admin.js';
export { HttpConfig, type HttpEngine } from './config.js';
export type {
  HookHandler,
  HookReply,
  HookRequest,
  Hooks,
  Reply,
  RouteHandler,
  RouteMethod,
  RouteOptions,
  RouteReply,
  RouteRequest,
  Routes,
} from './neutral.js';

/** One answered request, as observers (metrics, access logs) see it. */
export interface RequestRecord {
  method: string;
  /** The matched route template (`/users/:id`), or `<unmatched>`. */
  route: string;
  status: number;
  durationMs: number;
  /** The request's `x-request-id` header, or the response's, when there is one. */
  requestId?: string;
}

/** Express-style registration of routes that only administrators may call (engine express). */
export interface AdminRoutes {
  get(path: string, ...handlers: RequestHandler[]): void;
  post(path: string, ...handlers: RequestHandler[]): void;
  put(path: string, ...handlers: RequestHandler[]): void;
  delete(path: string, ...handlers: RequestHandler[]): void;
}

/**
 * What dependents of the HTTP server use to register routes, during their `init`:
 * `route()` on every engine; the express-style methods with engine express.
 */
export interface HttpHandlers extends AdminRoutes, Routes, Hooks {
  /** Middleware for every route registered after it (engine express). */
  use(...handlers: RequestHandler[]): void;
  /** A new express Router mounted at `prefix` (engine express). */
  router(prefix?: string): Router;
  /** Takes a router made by `router()` out again, e.g. when a plugin loaded at run time closes. */
  unmount(router: Router): void;
  /** Express-style routes behind the admin protection (bearer token, or loopback only). */
  readonly admin: AdminRoutes;
  /** Observes every answered request; returns an unsubscribe function. */
  onRequest(listener: (record: RequestRecord) => void): () => void;
  /** Where the server listens, once initialised. */
  address(): { host: string; port: number };
}

/**
 * An HTTP server on express 5 (the default) or Fastify 5 (setting `engine`),
 * either on the plugin's own Node server. It binds its port in `init` (a port
 * in use fails the start), answers from `afterInit` on (503 before), and in
 * `beforeClose` serves on for `shutdownDelay`, then stops accepting and lets
 * in-flight requests finish within the drain limit (see `GracefulShutdown`).
 */
export class HttpPlugin implements Plugin, HttpHandlers, AdminAuthorization {
  static readonly configClass = HttpConfig;
  private readonly express = new ExpressEngine();
  private engine?: Engine | undefined;
  /** Routes and hooks added with `route()` and `hook()` before `init` chose the engine, in order. */
  private readonly early: Array<(engine: Engine) => void> = [];
  /** Which express-style method was called first, to refuse engine fastify after it. */
  private expressUse?: string | undefined;
  private readonly listeners = new Set<(record: RequestRecord) => void>();
  private server?: Server | undefined;
  private shutdown?: GracefulShutdown | undefined;
  private serving = false;
  /** `drainTimeout` as a time limit: Infinity when 0 (no limit). */
  private drainLimit = Infinity;
  private config = new HttpConfig();
  private log?: Logger | undefined;
  private adminAuthorizer?: AdminAuthorizer | undefined;

  /** Express-style admin routes: the guard first (also for OPTIONS), then the body parser, then the handlers. */
  readonly admin: AdminRoutes = {
    get: (path, ...h) => this.expressOnly('admin.get').addAdmin('get', path, h),
    post: (path, ...h) => this.expressOnly('admin.post').addAdmin('post', path, h),
    put: (path, ...h) => this.expressOnly('admin.put').addAdmin('put', path, h),
    delete: (path, ...h) => this.expressOnly('admin.delete').addAdmin('delete', path, h),
  };

  async init(ctx: InitContext): Promise<void> {
    this.config = ctx.config(HttpConfig);
    this.drainLimit = timeLimit(this.config.drainTimeout, 'drainTimeout', ctx.name);
    this.log = ctx.log;
    if (this.config.adminToken === undefined && !isLoopbackHost(this.config.host)) {
      ctx.log.warn(
        `listening on ${this.config.host} without an admin token: admin routes answer loopback clients only, and behind a reverse proxy on this host every request looks local; set adminToken`,
      );
    }
    const settings: EngineSettings = {
      log: ctx.log,
      admin: adminCheck(
        () => this.config.adminToken,
        () => this.adminAuthorizer,
      ),
      bodyLimit: parseSize(this.config.bodyLimit)!,
      bodyDepth: this.config.bodyDepth,
    };
    // refused until afterInit and once drained; the engine answers the rest
    const server = createServer((req, res) => {
      shutdown.request(req, res, this.listeners.size > 0 ? clock.now() : NOT_TIMED);
      if (this.serving) engine.listener(req, res);
      else refuse(res);
    });
    const shutdown = new GracefulShutdown(server);
    const engine = await this.makeEngine(ctx.name, server, settings);
    this.engine = engine;
    for (const add of this.early.splice(0)) add(engine);
    try {
      await listen(server, this.config);
    } catch (err) {
      await engine.close();
      throw err;
    }
    this.server = server;
    this.shutdown = shutdown;
    subscribe(RESPONSE_FINISH, this.onResponseFinish);
    ctx.log.info(
      `listening on http://${this.config.host}:${this.address().port} (${this.config.engine})`,
    );
  }

  async afterInit(): Promise<void> {
    await this.engine?.ready();
    this.serving = true;
  }

  async beforeClose(): Promise<void> {
    const delayMs = this.config.shutdownDelay;
    if (delayMs > 0) this.log?.info(`serving ${delayMs} ms more before draining (shutdownDelay)`);
    const cut = await this.shutdown?.stop({ delayMs, drainMs: this.drainLimit });
    if (cut) this.log?.warn(`${cut} connection(s) still open after the drain limit were cut off`);
    this.serving = false;
  }

  async close(): Promise<void> {
    unsubscribe(RESPONSE_FINISH, this.onResponseFinish);
    this.shutdown?.abandon();
    if (this.server?.listening) this.server.close();
    this.server?.closeAllConnections();
    this.server = undefined;
    this.shutdown = undefined;
    const engine = this.engine;
    this.engine = undefined;
    await engine?.close();
  }

  route(
    method: RouteMethod,
    path: string,
    handler: RouteHandler,
    options: RouteOptions = {},
  ): void {
    const admin = options.admin === true;
    this.add((engine) => engine.route(method, path, handler, admin));
  }

  hook(handler: HookHandler): void {
    this.add((engine) => engine.hook(handler));
  }

  /** Adds a route or hook to the engine, or keeps it until `init` chose the engine. */
  private add(add: (engine: Engine) => void): void {
    if (this.engine) add(this.engine);
    else this.early.push(add);
  }

  get(path: string, ...handlers: RequestHandler[]): void {
    this.expressOnly('get').add('get', path, handlers);
  }
  post(path: string, ...handlers: RequestHandler[]): void {
    this.expressOnly('post').add('post', path, handlers);
  }
  put(path: string, ...handlers: RequestHandler[]): void {
    this.expressOnly('put').add('put', path, handlers);
  }
  delete(path: string, ...handlers: RequestHandler[]): void {
    this.expressOnly('delete').add('delete', path, handlers);
  }
  use(...handlers: RequestHandler[]): void {
    this.expressOnly('use').app.use(...handlers);
  }

  router(prefix = '/'): Router {
    return this.expressOnly('router').router(prefix);
  }

  unmount(router: Router): void {
    this.expressOnly('unmount').unmount(router);
  }

  /** The express app, for express features (engine express). */
  get app(): Express {
    return this.expressOnly('app').app;
  }

  /** The Fastify instance, for Fastify features (engine fastify, from the plugin's init on). */
  get fastify(): FastifyInstance {
    if (this.engine && this.engine !== this.express) return (this.engine as FastifyEngine).fastify;
    throw new Error(
      this.engine
        ? 'http.fastify: this server runs engine express; set the http setting engine to fastify'
        : "http.fastify is there from the http plugin's init on, with engine fastify",
    );
  }

  onRequest(listener: (record: RequestRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Lets another plugin (e.g. auth) admit requests to admin routes besides the static token. */
  authorizeAdmin(authorizer: AdminAuthorizer | undefined): void {
    this.adminAuthorizer = authorizer;
  }

  /** The underlying Node server, once initialised: for protocols that upgrade (WebSocket). */
  nodeServer(): Server | undefined {
    return this.server;
  }

  address(): { host: string; port: number } {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address)
      throw new Error('the http plugin is not listening: call address() after its init');
    return { host: this.config.host, port: address.port };
  }

  /**
   * The engine of the `engine` setting; engine fastify only when no express-style
   * method was used. The Fastify engine's module is loaded only then.
   */
  private async makeEngine(plugin: string, server: Server, settings: EngineSettings) {
    if (this.config.engine === 'express') {
      this.express.configure(settings);
      return this.express;
    }
    if (this.expressUse !== undefined) throw this.notExpress(this.expressUse);
    const fastify = await importPeer(plugin, 'fastify', () => import('fastify'));
    const { FastifyEngine } = await import('./fastify.js');
    return new FastifyEngine(fastify.default, server, settings);
  }

  /** The express engine, for the express-style methods; an error with engine fastify. */
  private expressOnly(method: string): ExpressEngine {
    if (this.engine && this.engine !== this.express) throw this.notExpress(method);
    this.expressUse ??= method;
    // the engine is express now: neutral routes and hooks added so far go first, in their order
    for (const add of this.early.splice(0)) add(this.express);
    return this.express;
  }

  private notExpress(method: string): Error {
    return new Error(
      `http.${method}() takes express handlers, and this server runs engine fastify: register the route with http.route(), or on http.fastify, or set the http setting engine to express`,
    );
  }

  /**
   * Node's own HTTP diagnostics channel marks when each response finishes: no
   * listener per request. It is process-wide, so each message is checked against
   * this plugin's server. The request's start is noted by the server's listener,
   * with the stop's bookkeeping of the response.
   */
  private readonly onResponseFinish = (message: unknown): void => {
    const { request, response, socket, server } = message as HttpMessage;
    if (server !== this.server) return;
    const began = this.shutdown?.answered(socket, response);
    if (began === undefined || began === NOT_TIMED || !this.engine) return;
    const record: RequestRecord = {
      method: request.method!,
      route: this.engine.label(request),
      status: response.statusCode,
      durationMs: clock.now() - began,
    };
    const requestId = rawHeader(request, 'x-request-id') ?? response.getHeader('x-request-id');
    if (typeof requestId === 'string') record.requestId = requestId;
    for (const listener of this.listeners) listener(record);
  };
}

/**
 * A request header by its lower-case name, from the raw list: reading
 * `request.headers` would build the header object for every request, which
 * Fastify otherwise never does for a GET.
 */
function rawHeader(request: IncomingMessage, name: string): string | undefined {
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) return raw[i + 1];
  }
  return undefined;
}

/** The answer while not serving: 503, try again in a second, on a fresh connection. */
function refuse(res: ServerResponse): void {
  res.writeHead(503, { 'Content-Type': JSON_TYPE, Connection: 'close', 'Retry-After': '1' });
  res.end('{"error":"the server is not serving yet or any more"}');
}

const RESPONSE_FINISH = 'http.server.response.finish';

/** What Node publishes on its HTTP server channels. */
interface HttpMessage {
  request: IncomingMessage;
  response: ServerResponse;
  socket: Socket;
  server: Server;
}

/** When a request came in, for one that came while no one observed requests. */
const NOT_TIMED = -1;

/** Node's `performance` is a lazy global getter; read it once. */
const clock = performance;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || isLoopback(host);
}

function listen(server: Server, { host, port, backlog }: HttpConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      const why =
        err.code === 'EADDRINUSE'
          ? 'is already in use: stop the other process or set another port'
          : err.code === 'EACCES'
            ? 'needs privileges: choose a port above 1023'
            : `cannot be bound (${err.code ?? err.message})`;
      reject(new Error(`${host}:${port} ${why}`, { cause: err }));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host, backlog);
  });
}
