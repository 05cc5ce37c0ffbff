import {
  type IncomingMessage,
  type Server,
  type ServerResponse,
  validateHeaderName,
  validateHeaderValue,
} from 'node:http';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  RouteHandlerMethod,
} from 'fastify';
import { toError } from '../../src/index.js';
import type { AdminDecision } from './admin.js';
import { checkDepth, checkTopLevel } from './body.js';
import type { Engine, EngineSettings } from './engine.js';
import {
  defaultType,
  errorAnswer,
  type HookHandler,
  type HookReply,
  JSON_TYPE,
  logFailure,
  type RouteHandler,
  type RouteMethod,
  type RouteReply,
  type RouteRequest,
} from './neutral.js';
import { NodeHookRequest, runHook } from './hook.js';
import { UNMATCHED } from './route.js';

/** The Fastify 5 factory, as the `fastify` package exports it. */
export type FastifyFactory = typeof import('fastify').default;

/**
 * The Fastify 5 engine on the plugin's own Node server (`serverFactory`). Routes
 * match like express's (case-insensitive, a trailing slash ignored, parameters of
 * up to 4,096 characters); JSON bodies
 * are parsed within the limits, other bodies are left unread; admin routes are
 * guarded in `onRequest`, before the body is read. Routes are added until the
 * plugin serves: Fastify builds its router once, in `ready()`.
 */
export class FastifyEngine implements Engine {
  readonly fastify: FastifyInstance;
  private handle?: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private started = false;
  private readonly adminMethods = new Map<string, Set<string>>();
  /** The hooks so far, as `onRequest` hooks: each route takes those added before it. */
  private readonly hooks: Hook[] = [];

  readonly listener = (req: IncomingMessage, res: ServerResponse): void => this.handle!(req, res);

  constructor(
    make: FastifyFactory,
    server: Server,
    private readonly settings: EngineSettings,
  ) {
    const app = make({
      serverFactory: (handler) => {
        this.handle = handler;
        return server;
      },
      bodyLimit: settings.bodyLimit,
      // like express: case-insensitive, a trailing slash ignored, long parameters taken
      routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 4096 },
      // what Fastify's router refuses (a bad URL, a too long parameter) is a JSON error too
      frameworkErrors: (err, request, reply) => this.fail(err, request, reply),
    });
    this.fastify = app;
    // every route, also one added on the Fastify instance itself, labels its requests
    app.addHook('onRoute', (route) => {
      if (this.hooks.length > 0)
        route.onRequest = [...this.hooks, ...[route.onRequest ?? []].flat()];
      const label = route.url.toLowerCase();
      const handler = route.handler;
      route.handler = function (this: FastifyInstance, request, reply) {
        (request.raw as Labelled)[LABEL] = label;
        return handler.call(this, request, reply);
      };
    });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
      const buf = body as Buffer;
      if (buf.length === 0) return done(null, undefined);
      try {
        checkDepth(buf, settings.bodyDepth);
        checkTopLevel(buf);
        done(null, JSON.parse(buf.toString('utf8')));
      } catch (err) {
        done(Object.assign(toError(err), { statusCode: 400 }), undefined);
      }
    });
    // like express: a body of another type is left unread, not refused
    app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    // answered in onRequest, before Fastify would read the body of a request no route takes
    // (Fastify takes any lifecycle hook here; its types name only preValidation and preHandler)
    const notFound = (_request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(404).type(JSON_TYPE).send('{"error":"not found"}');
    };
    const unmatched: Hook = (request, reply, done) => run(this.hooks, 0, request, reply, done);
    const early = { onRequest: [unmatched, notFound] } as unknown as { preHandler?: never };
    app.setNotFoundHandler(early, notFound);
    app.setErrorHandler((err, request, reply) => this.fail(err, request, reply));
  }

  route(method: RouteMethod, path: string, handler: RouteHandler, admin: boolean): void {
    this.mayAdd(`${method} ${path}`);
    // what the handler throws or rejects with is answered as a JSON error
    const handle: RouteHandlerMethod = (request, reply) => {
      let out: void | Promise<void>;
      try {
        out = handler(new FastifyRouteRequest(request), new FastifyRouteReply(reply));
      } catch (err) {
        this.fail(err, request, reply);
        return;
      }
      if (out) out.then(undefined, (err: unknown) => this.fail(err, request, reply));
    };
    this.fastify.route({
      method,
      url: path,
      handler: handle,
      ...(admin ? { onRequest: this.guard } : {}),
    });
    if (admin) this.adminOptions(path, method);
  }

  hook(handler: HookHandler): void {
    this.mayAdd('a hook');
    this.hooks.push((request, reply, done) =>
      runHook(
        handler,
        new NodeHookRequest(request.raw, this),
        new FastifyHookReply(reply),
        done,
        (err) => this.fail(err, request, reply),
        (err) => this.logFailed(request, err, 'after its hook let it on'),
      ),
    );
  }

  label(req: IncomingMessage): string {
    return (req as Labelled)[LABEL] ?? UNMATCHED;
  }

  async ready(): Promise<void> {
    await this.fastify.ready();
    this.started = true;
  }

  async close(): Promise<void> {
    await this.fastify.close();
  }

  /** Fastify takes no routes once ready: say so before it throws its own error. */
  private mayAdd(what: string): void {
    if (this.started) {
      throw new Error(
        `cannot add ${what}: the fastify engine takes routes during init only, before the agent serves; register it in init, or use engine express for routes added at run time`,
      );
    }
  }

  /** The admin check as an `onRequest` hook: before routing on, before the body is read. */
  private readonly guard: onRequestHookHandler = (request, reply, done) => {
    const decision = this.settings.admin(request.raw);
    const apply = (d: AdminDecision) => {
      if (d.allowed) return done();
      if (d.status === 401) void reply.header('WWW-Authenticate', 'Bearer');
      void reply
        .code(d.status)
        .type(JSON_TYPE)
        .send(JSON.stringify({ error: d.reason }));
    };
    if (decision instanceof Promise) void decision.then(apply);
    else apply(decision);
  };

  /** OPTIONS on an admin path passes the same guard, then lists the methods there are. */
  private adminOptions(path: string, method: string): void {
    const known = this.adminMethods.get(path);
    if (known) {
      known.add(method);
      return;
    }
    const methods = new Set([method]);
    this.adminMethods.set(path, methods);
    this.fastify.route({
      method: 'OPTIONS',
      url: path,
      onRequest: this.guard,
      handler: (_request, reply) => {
        const allow = [...methods].join(', ');
        void reply.code(200).header('Allow', allow).type('text/plain; charset=utf-8').send(allow);
      },
    });
  }

  private logFailed(request: FastifyRequest, err: unknown, when?: string): void {
    logFailure(this.settings.log, `${request.method} ${request.url}`, err, when);
  }

  /** A JSON error for what a route threw or rejected, or what failed before it ran. */
  private fail(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const raw = request.raw as Labelled;
    const url = request.routeOptions.url;
    if (raw[LABEL] === undefined && url !== undefined) raw[LABEL] = url.toLowerCase();
    const answer = errorAnswer(err);
    const sent = reply.sent || reply.raw.headersSent;
    if (answer.log || sent) this.logFailed(request, err);
    if (sent) {
      // an answer cut short is no answer; one sent in full stays, with the connection
      if (!reply.raw.writableEnded) reply.raw.destroy();
      return;
    }
    void reply
      .code(answer.status)
      .type(JSON_TYPE)
      .send(JSON.stringify({ error: answer.message }));
  }
}

/** A hook as Fastify runs it in `onRequest`. */
type Hook = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void;

/** Runs `hooks` from `at` on, then `done`: for requests no route takes. */
function run(
  hooks: Hook[],
  at: number,
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  if (at === hooks.length) done();
  else hooks[at]!(request, reply, () => run(hooks, at + 1, request, reply, done));
}

/** The route template of a request, set when its route runs or fails. */
const LABEL = Symbol('flavorkit.route');
type Labelled = IncomingMessage & { [LABEL]?: string };

/** A Fastify request as a `RouteRequest`. */
class FastifyRouteRequest implements RouteRequest {
  constructor(private readonly request: FastifyRequest) {}
  get method(): string {
    return this.request.method;
  }
  get url(): string {
    return this.request.url;
  }
  get params(): RouteRequest['params'] {
    return this.request.params as RouteRequest['params'];
  }
  get query(): RouteRequest['query'] {
    return this.request.query as RouteRequest['query'];
  }
  get headers(): RouteRequest['headers'] {
    return this.request.headers;
  }
  get body(): unknown {
    return this.request.body;
  }
  get raw(): IncomingMessage {
    return this.request.raw;
  }
}

/** A Fastify reply as a `RouteReply`. */
class FastifyRouteReply implements RouteReply {
  constructor(protected readonly reply: FastifyReply) {}
  status(code: number): this {
    void this.reply.code(code);
    return this;
  }
  header(name: string, value: string): this {
    // refused here, as Node's setHeader does on express, not when Fastify writes the head
    validateHeaderName(name);
    validateHeaderValue(name, value);
    void this.reply.header(name, value);
    return this;
  }
  json(body: unknown): void {
    void this.reply.type(JSON_TYPE).send(JSON.stringify(body) ?? 'null');
  }
  send(body: string | Uint8Array, type = defaultType(body)): void {
    const payload =
      typeof body === 'string' || Buffer.isBuffer(body)
        ? body
        : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    void this.reply.type(type).send(payload);
  }
  /** Hands the response over: Fastify leaves it alone, the status and headers set so far carry over. */
  get raw(): ServerResponse {
    const reply = this.reply;
    if (!reply.sent) {
      reply.hijack();
      const res = reply.raw;
      res.statusCode = reply.statusCode;
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) res.setHeader(name, value);
      }
    }
    return reply.raw;
  }
}

/** A Fastify reply as a `HookReply`: Node's response is there to watch, not handed over. */
class FastifyHookReply extends FastifyRouteReply implements HookReply {
  override get raw(): ServerResponse {
    return this.reply.raw;
  }
}
