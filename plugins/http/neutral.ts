import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, toError } from '../../src/index.js';

/** The methods `route()` registers. */
export type RouteMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A request as a route registered with `route()` sees it, whatever the engine. */
export interface RouteRequest {
  readonly method: string;
  /** The path and query string as sent. */
  readonly url: string;
  /** The path parameters (`/users/:id` gives `id`). */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The query string parameters; a repeated one is an array. */
  readonly query: Readonly<Record<string, string | string[] | undefined>>;
  readonly headers: IncomingHttpHeaders;
  /** The parsed JSON body of POST, PUT and PATCH requests; undefined without one. */
  readonly body: unknown;
  /** Node's request, e.g. for the client's address. */
  readonly raw: IncomingMessage;
}

/** How routes and hooks answer, whatever the engine. */
export interface Reply {
  /** Sets the status code (200 unless set). */
  status(code: number): this;
  /** Sets a response header. */
  header(name: string, value: string): this;
  /** Answers with `body` as JSON. */
  json(body: unknown): void;
  /** Answers with text or bytes; `type` is the content type (default: text, or bytes). */
  send(body: string | Uint8Array, type?: string): void;
}

/** How a route registered with `route()` answers, whatever the engine. */
export interface RouteReply extends Reply {
  /**
   * Node's response, to stream an answer with `write` and `end`: from then on
   * the route alone finishes the response (the status and headers set so far are kept).
   */
  readonly raw: ServerResponse;
}

/** A route handler; what it throws or rejects with is answered as a JSON error. */
export type RouteHandler = (req: RouteRequest, reply: RouteReply) => void | Promise<void>;

/** Options of `route()`. */
export interface RouteOptions {
  /** Behind the admin protection (bearer token, or loopback only); OPTIONS too. */
  admin?: boolean;
}

/** Routes registered the same way on every engine. */
export interface Routes {
  /**
   * Adds a route during `init`. POST, PUT and PATCH routes parse a JSON body
   * (within `bodyLimit` and `bodyDepth`), after the admin check.
   */
  route(method: RouteMethod, path: string, handler: RouteHandler, options?: RouteOptions): void;
}

/** A request as a hook registered with `hook()` sees it, before any route: no parameters, no body. */
export interface HookRequest {
  readonly method: string;
  /** The full path and query string as sent. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Node's request: also the key to keep something for the route's handler. */
  readonly raw: IncomingMessage;
  /** The route template (`/users/:id`, lower case) once a route took the request; undefined before or without one. */
  route(): string | undefined;
}

/** How a hook answers instead of the routes: as a route does, but never streaming. */
export interface HookReply extends Reply {
  /** Node's response, to watch (`statusCode`, its `finish` event), not to write to. */
  readonly raw: ServerResponse;
}

/**
 * Code run around requests: it answers with `reply`, or calls `next()` once to
 * let the request on (synchronously or later). Calling `next()` inside an
 * `AsyncLocalStorage` context runs the route in it. What it throws or rejects
 * with is answered as a JSON error.
 */
export type HookHandler = (
  req: HookRequest,
  reply: HookReply,
  next: () => void,
) => void | Promise<void>;

/** Hooks added the same way on every engine. */
export interface Hooks {
  /**
   * Adds a hook during `init`, run for requests to the routes registered after
   * it (also routes on `http.app` or `http.fastify`) and for requests no route
   * takes, in the order the hooks were added. Without hooks, requests pass none.
   */
  hook(handler: HookHandler): void;
}

/** The path of a request URL, without the query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Methods whose JSON body is parsed. */
export const WITH_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/** The content type of JSON answers. */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** The content type `send` uses when none is given. */
export function defaultType(body: string | Uint8Array): string {
  return typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

/** How an error no route took is answered: its own 4xx status and message, or a 500 to log. */
export function errorAnswer(err: unknown): { status: number; message: string; log: boolean } {
  const status =
    (err as { status?: unknown } | undefined)?.status ??
    (err as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: (err as Error).message, log: false };
  }
  return { status: 500, message: 'internal server error', log: true };
}

/** Logs what failed for a request (`GET /path`) with the stack; `when` tells at which point. */
export function logFailure(
  log: Logger | undefined,
  request: string,
  err: unknown,
  when = '',
): void {
  const error = toError(err);
  log?.error(`${request} failed${when && ` ${when}`}: ${error.message}`, { stack: error.stack });
}
