import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import {
  type InitContext,
  type Logger,
  type Plugin,
  setTimer,
  timeLimit,
} from '../../src/index.js';
import { type AdminAuthorization, type AdminAuthorizer, adminGuard, isLoopback } from './admin.js';
import { jsonBody } from './body.js';
import { HttpConfig } from './config.js';
import { routeLabel, withMount } from './route.js';

export { adminAccess, isLoopback, type AdminDecision } from './admin.js';
export type { AdminAuthorization, AdminAuthorizer } from './admin.js';
export { HttpConfig } from './config.js';

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

/** Route registration for routes that only administrators may call. */
export interface AdminRoutes {
  get(path: string, ...handlers: RequestHandler[]): void;
  post(path: string, ...handlers: RequestHandler[]): void;
  put(path: string, ...handlers: RequestHandler[]): void;
  delete(path: string, ...handlers: RequestHandler[]): void;
}

/** What dependents of the HTTP server use to register routes, during their `init`. */
export interface HttpHandlers extends AdminRoutes {
  /** Middleware for every route registered after it. */
  use(...handlers: RequestHandler[]): void;
  /** A new express Router mounted at `prefix`. */
  router(prefix?: string): Router;
  /** Takes a router made by `router()` out again, e.g. when a plugin loaded at run time closes. */
  unmount(router: Router): void;
  /** Routes behind the admin protection (bearer token, or loopback only). */
  readonly admin: AdminRoutes;
  /** Observes every answered request; returns an unsubscribe function. */
  onRequest(listener: (record: RequestRecord) => void): () => void;
  /** Where the server listens, once initialised. */
  address(): { host: string; port: number };
}

/**
 * An express 5 server. It binds its port in `init` (a port in use fails the
 * start), answers from `afterInit` on (503 before), and in `beforeClose` stops
 * accepting and lets in-flight requests finish within the drain limit.
 */
export class HttpPlugin implements Plugin, HttpHandlers, AdminAuthorization {
  static readonly configClass = HttpConfig;
  private readonly app = express();
  private readonly listeners = new Set<(record: RequestRecord) => void>();
  private server?: Server | undefined;
  private serving = false;
  /** `drainTimeout` as a time limit: Infinity when 0 (no limit). */
  private drainLimit = Infinity;
  private config = new HttpConfig();
  private log?: Logger | undefined;

  /** Admin routes: the guard first (also for OPTIONS), then the body parser, then the handlers. */
  readonly admin: AdminRoutes = {
    get: (path, ...h) => this.adminRoute('get', path, h),
    post: (path, ...h) => this.adminRoute('post', path, [this.parseBody, ...h]),
    put: (path, ...h) => this.adminRoute('put', path, [this.parseBody, ...h]),
    delete: (path, ...h) => this.adminRoute('delete', path, h),
  };
  private readonly adminPaths = new Set<string>();

  private adminAuthorizer?: AdminAuthorizer | undefined;
  private readonly guard = adminGuard(
    () => this.config.adminToken,
    () => this.adminAuthorizer,
  );
  private parseJson?: RequestHandler | undefined;
  /** Parses a JSON body, for routes that take one: after routing, after the admin check. */
  private readonly parseBody: RequestHandler = (req, res, next) =>
    this.parseJson ? this.parseJson(req, res, next) : next();

  constructor() {
    this.app.disable('x-powered-by');
    this.app.use(this.gate);
  }

  async init(ctx: InitContext): Promise<void> {
    this.config = ctx.config(HttpConfig);
    this.drainLimit = timeLimit(this.config.drainTimeout, 'drainTimeout', ctx.name);
    this.log = ctx.log;
    this.parseJson = jsonBody(this.config.bodyLimit, this.config.bodyDepth);
    if (this.config.adminToken === undefined && !isLoopbackHost(this.config.host)) {
      ctx.log.warn(
        `listening on ${this.config.host} without an admin token: admin routes answer loopback clients only, and behind a reverse proxy on this host every request looks local; set adminToken`,
      );
    }
    // what no route answered ends here: a JSON 404, or the error as JSON
    this.server = createServer((req, res) =>
      this.app(req as Request, res as Response, (err?: unknown) =>
        this.unhandled(err, req as Request, res as Response),
      ),
    );
    await listen(this.server, this.config);
    subscribe(REQUEST_START, this.onRequestStart);
    subscribe(RESPONSE_FINISH, this.onResponseFinish);
    ctx.log.info(`listening on http://${this.config.host}:${this.address().port}`);
  }

  afterInit(): void {
    this.serving = true;
  }

  async beforeClose(): Promise<void> {
    this.serving = false;
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      const cancel = setTimer(this.drainLimit, () => {
        this.log?.warn('connections still open after the drain limit are cut off');
        server.closeAllConnections();
      });
      server.close(() => {
        cancel();
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  close(): void {
    unsubscribe(REQUEST_START, this.onRequestStart);
    unsubscribe(RESPONSE_FINISH, this.onResponseFinish);
    if (this.server?.listening) this.server.close();
    this.server?.closeAllConnections();
    this.server = undefined;
  }

  get(path: string, ...handlers: RequestHandler[]): void {
    this.app.get(path, ...handlers);
  }
  post(path: string, ...handlers: RequestHandler[]): void {
    this.app.post(path, this.parseBody, ...handlers);
  }
  put(path: string, ...handlers: RequestHandler[]): void {
    this.app.put(path, this.parseBody, ...handlers);
  }
  delete(path: string, ...handlers: RequestHandler[]): void {
    this.app.delete(path, ...handlers);
  }
  use(...handlers: RequestHandler[]): void {
    this.app.use(...handlers);
  }

  router(prefix = '/'): Router {
    const router = express.Router();
    for (const method of ['post', 'put', 'patch'] as const) {
      const add = router[method].bind(router) as (path: string, ...h: RequestHandler[]) => Router;
      router[method] = ((path: string, ...h: RequestHandler[]) =>
        add(path, this.parseBody, ...h)) as (typeof router)[typeof method];
    }
    this.app.use(prefix, withMount(prefix, router));
    return router;
  }

  unmount(router: Router): void {
    const stack = (this.app.router as unknown as { stack: Array<{ handle: unknown }> }).stack;
    const at = stack.findIndex((layer) => (layer.handle as { router?: Router }).router === router);
    if (at >= 0) stack.splice(at, 1);
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
   * Node's own HTTP diagnostics channels mark when each request starts and each
   * response finishes: no listener per request. They are process-wide, so each
   * message is checked against this plugin's server.
   */
  private readonly onRequestStart = (message: unknown): void => {
    const { request, server } = message as HttpMessage;
    if (server === this.server && this.listeners.size > 0) (request as Timed)[BEGAN] = clock.now();
  };

  private readonly onResponseFinish = (message: unknown): void => {
    const { request, response, server } = message as HttpMessage;
    if (server !== this.server) return;
    // once draining, a connection whose response is done is closed as soon as it is idle
    if (!this.serving) setImmediate(() => server.closeIdleConnections());
    const began = (request as Timed)[BEGAN];
    if (began === undefined) return;
    const req = request as Request;
    const record: RequestRecord = {
      method: req.method,
      route: routeLabel(req),
      status: response.statusCode,
      durationMs: clock.now() - began,
    };
    const requestId = req.headers['x-request-id'] ?? response.getHeader('x-request-id');
    if (typeof requestId === 'string') record.requestId = requestId;
    for (const listener of this.listeners) listener(record);
  };

  /** Refuses requests while not serving. */
  private readonly gate: RequestHandler = (_req, res, next) => {
    if (!this.serving) {
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      res.status(503).json({ error: 'the server is not serving yet or any more' });
      return;
    }
    next();
  };

  private adminRoute(
    method: 'get' | 'post' | 'put' | 'delete',
    path: string,
    handlers: RequestHandler[],
  ): void {
    this.app[method](path, this.guard, ...handlers);
    if (this.adminPaths.has(path)) return;
    this.adminPaths.add(path);
    // preflight and OPTIONS probes go through the same guard before express answers them
    this.app.options(path, this.guard);
  }

  /** A JSON 404 for requests no route answered; a JSON error for errors no handler took. */
  private unhandled(err: unknown, req: Request, res: Response): void {
    if (err === undefined || err === null) {
      res.status(404).json({ error: 'not found' });
      return;
    }
    const status =
      (err as { status?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.log?.error(`${req.method} ${req.originalUrl} failed: ${message}`, {
      stack: (err as Error)?.stack,
    });
    if (res.headersSent) res.destroy();
    else res.status(500).json({ error: 'internal server error' });
  }
}

const REQUEST_START = 'http.server.request.start';
const RESPONSE_FINISH = 'http.server.response.finish';

/** What Node publishes on its HTTP server channels. */
interface HttpMessage {
  request: IncomingMessage;
  response: ServerResponse;
  server: Server;
}

/** When a request came in, kept on the request only while someone observes requests. */
const BEGAN = Symbol('began');
type Timed = { [BEGAN]?: number };

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
