import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { HookHandler } from '../http/neutral.js';
import type { Claims, Decision, Target } from './rules.js';

type Decide = (target: Target, authorization: string | undefined) => Promise<Decision>;

/** The verified claims of requests let through, for their handlers. */
const CLAIMS = new WeakMap<IncomingMessage, Claims>();

/** How a refusal is answered: what a hook's reply and an express response both do. */
interface Answer {
  status(code: number): Answer;
  header(name: string, value: string): unknown;
  json(body: unknown): unknown;
}

/**
 * Applies the access rules to a request and each path it may be routed by: on
 * with the claims kept, or 401 with `WWW-Authenticate: Bearer` for a missing or
 * bad token, 403 for a token without the role or scope, both as `{ error }` JSON.
 */
function check(
  decide: Decide,
  req: IncomingMessage,
  paths: string[],
  answer: Answer,
  next: () => void,
) {
  const authorization = req.headers.authorization;
  const method = req.method!;
  const decision =
    paths.length === 1
      ? decide({ method, path: paths[0]! }, authorization)
      : Promise.all(paths.map((path) => decide({ method, path }, authorization))).then(
          (outcomes) =>
            outcomes.find((o) => !o.allowed) ??
            outcomes.find((o) => o.allowed && o.claims) ??
            outcomes[0]!,
        );
  decision.then(
    (outcome) => {
      if (outcome.allowed) {
        if (outcome.claims) CLAIMS.set(req, outcome.claims);
        return next();
      }
      if (outcome.status === 401) answer.header('WWW-Authenticate', 'Bearer');
      answer.status(outcome.status).json({ error: outcome.reason });
    },
    () => answer.status(500).json({ error: 'the access check failed' }),
  );
}

/**
 * The paths the routers may take a request URL for, each to pass the rules:
 * the path of an absolute-form URL (`http://host/path`), up to the query or a
 * fragment (both engines cut at `#`), also with backslashes read as slashes
 * (express does so in a URL with a fragment), each as sent (express routes it
 * so) and with its escapes decoded (Fastify routes it so).
 */
function routedPaths(url: string): string[] {
  const paths = new Set<string>();
  for (const spelling of url.includes('\\') ? [url, url.replaceAll('\\', '/')] : [url]) {
    const path = beforeQuery(spelling.startsWith('/') ? spelling : withoutOrigin(spelling));
    paths.add(path);
    if (path.includes('%')) paths.add(decodedPath(path));
  }
  return [...paths];
}

/** The path and query of an absolute-form URL (`http://host/path?query`); others as they are. */
function withoutOrigin(url: string): string {
  const origin = /^[a-z][a-z\d+.-]*:\/\/[^/?#]*/i.exec(url);
  if (!origin) return url;
  const rest = url.slice(origin[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/** A URL up to its query string or fragment. */
function beforeQuery(url: string): string {
  const end = url.search(/[?#]/);
  return end < 0 ? url : url.slice(0, end);
}

/** The path with its escapes decoded; as sent when they are malformed (the routers refuse it then). */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** The access rules as an HTTP hook (either engine), deciding on the request's URL path. */
export function hookGuard(decide: Decide): HookHandler {
  return (req, reply, next) => check(decide, req.raw, routedPaths(req.url), reply, next);
}

/** The access rules as express middleware, deciding on the full path where it is mounted. */
export function httpGuard(decide: Decide): RequestHandler {
  return (req, res, next) =>
    check(decide, req, routedPaths(req.baseUrl + req.path), res, () => next());
}

/** What the claims of an HTTP request are found by: the request, one wrapping it, or its response. */
export type HttpCarrier = IncomingMessage | { readonly raw: IncomingMessage } | Response;

/** The claims the guard verified for a request. */
export function httpClaims(from: HttpCarrier): Claims | undefined {
  const req = 'raw' in from ? from.raw : 'req' in from ? from.req : from;
  return CLAIMS.get(req);
}
