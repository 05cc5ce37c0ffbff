import type { IncomingMessage, ServerResponse } from 'node:http';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
  type Router,
} from 'express';
import { toError } from '../../src/index.js';
import { adminGuard } from './admin.js';
import { jsonBody } from './body.js';
import type { Engine, EngineSettings } from './engine.js';
import {
  defaultType,
  errorAnswer,
  type HookHandler,
  JSON_TYPE,
  logFailure,
  type RouteHandler,
  type RouteMethod,
  type RouteReply,
  type RouteRequest,
  WITH_BODY,
} from './neutral.js';
import { NodeHookRequest, runHook } from './hook.js';
import { nestMounts, routeLabel, withMount } from './route.js';

type Verb = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * The express 5 engine: engine-neutral routes and the express-style ones
 * (`get`, `router`, ...) on one express app. JSON bodies are parsed after
 * routing and after the admin check; what no route answered is a JSON 404.
 */
export class ExpressEngine implements Engine {
  readonly app = express();
  private settings?: EngineSettings | undefined;
  private parseJson?: RequestHandler | undefined;
  private readonly adminPaths = new Set<string>();
  private guardHandler?: RequestHandler | undefined;

  /** Parses a JSON body, for routes that take one: after routing, after the admin check. */
  readonly parseBody: RequestHandler = (req, res, next) =>
    this.parseJson ? this.parseJson(req, res, next) : next();

  /** The admin guard as express middleware. */
  readonly guard: RequestHandler = (req, res, next) =>
    this.guardHandler ? this.guardHandler(req, res, next) : next();

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.app(req as Request, res as Response, (err?: unknown) =>
      this.unhandled(err, req as Request, res as Response),
    );
  };

  constructor() {
    this.app.disable('x-powered-by');
  }

  /** Takes the settings of the plugin's `init`. */
  configure(settings: EngineSettings): void {
    this.settings = settings;
    this.parseJson = jsonBody(settings.bodyLimit, settings.bodyDepth);
    this.guardHandler = adminGuard(settings.admin);
  }

  route(method: RouteMethod, path: string, handler: RouteHandler, admin: boolean): void {
    const fail = (next: NextFunction, err: unknown) => next(thrown(err));
    const handle: RequestHandler = (req, res, next) => {
      let out: void | Promise<void>;
      try {
        out = handler(new ExpressRequest(req), new ExpressReply(res));
      } catch (err) {
        return fail(next, err);
      }
      if (out) out.then(undefined, (err: unknown) => fail(next, err));
    };
    const chain = WITH_BODY.has(method) ? [this.parseBody, handle] : [handle];
    const verb = method.toLowerCase() as Verb;
    if (admin) this.adminRoute(verb, path, chain);
    else this.app[verb](path, ...chain);
  }

  /** A hook as middleware at this place of the app. */
  hook(handler: HookHandler): void {
    this.app.use((req, res, next) =>
      runHook(
        handler,
        new NodeHookRequest(req, this),
        new ExpressReply(res),
        () => next(),
        (err) => next(thrown(err)),
        (err) => this.logFailed(req, err, 'after its hook let it on'),
      ),
    );
  }

  /** An express-style route: the body parser first for methods with a body. */
  add(verb: Verb, path: string, handlers: RequestHandler[]): void {
    const body = WITH_BODY.has(verb.toUpperCase()) ? [this.parseBody] : [];
    this.app[verb](path, ...body, ...handlers);
  }

  /** An express-style admin route: the guard first (also for OPTIONS), then the body parser. */
  addAdmin(verb: Verb, path: string, handlers: RequestHandler[]): void {
    const body = WITH_BODY.has(verb.toUpperCase()) ? [this.parseBody] : [];
    this.adminRoute(verb, path, [...body, ...handlers]);
  }

  router(prefix: string): Router {
    const router = express.Router();
    for (const method of ['post', 'put', 'patch'] as const) {
      const add = router[method].bind(router) as (path: string, ...h: RequestHandler[]) => Router;
      router[method] = ((path: string, ...h: RequestHandler[]) =>
        add(path, this.parseBody, ...h)) as (typeof router)[typeof method];
    }
    this.app.use(prefix, withMount(prefix, nestMounts(router)));
    return router;
  }

  unmount(router: Router): void {
    const stack = (this.app.router as unknown as { stack: Array<{ handle: unknown }> }).stack;
    const at = stack.findIndex((layer) => (layer.handle as { router?: Router }).router === router);
    if (at >= 0) stack.splice(at, 1);
  }

  label(req: IncomingMessage): string {
    return routeLabel(req as Request);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private adminRoute(verb: Verb, path: string, handlers: RequestHandler[]): void {
    this.app[verb](path, this.guard, ...handlers);
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
    const answer = errorAnswer(err);
    if (answer.log || res.headersSent) this.logFailed(req, err);
    // an answer cut short is no answer; one sent in full stays, with the connection
    if (res.headersSent) {
      if (!res.writableEnded) res.destroy();
    } else res.status(answer.status).json({ error: answer.message });
  }

  private logFailed(req: Request, err: unknown, when?: string): void {
    logFailure(this.settings?.log, `${req.method} ${req.originalUrl}`, err, when);
  }
}

/**
 * What a handler threw, as express takes it on: express reads a falsy value
 * as "not failed" and the strings `route` and `router` as "skip", so every
 * value but an object becomes an Error.
 */
function thrown(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? err : toError(err);
}

/** An express request as a `RouteRequest`. */
class ExpressRequest implements RouteRequest {
  constructor(readonly raw: Request) {}
  get method(): string {
    return this.raw.method;
  }
  get url(): string {
    return this.raw.originalUrl;
  }
  get params(): RouteRequest['params'] {
    return this.raw.params as RouteRequest['params'];
  }
  get query(): RouteRequest['query'] {
    return this.raw.query as RouteRequest['query'];
  }
  get headers(): RouteRequest['headers'] {
    return this.raw.headers;
  }
  get body(): unknown {
    return this.raw.body as unknown;
  }
}

/** An express response as a `RouteReply`: writes straight to Node's response. */
class ExpressReply implements RouteReply {
  constructor(readonly raw: Response) {}
  status(code: number): this {
    this.raw.statusCode = code;
    return this;
  }
  header(name: string, value: string): this {
    this.raw.setHeader(name, value);
    return this;
  }
  json(body: unknown): void {
    this.send(JSON.stringify(body) ?? 'null', JSON_TYPE);
  }
  send(body: string | Uint8Array, type = defaultType(body)): void {
    const res = this.raw;
    res.setHeader('Content-Type', type);
    res.setHeader(
      'Content-Length',
      typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    );
    res.end(body);
  }
}
