import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { type HookHandler, pathOf } from '../http/neutral.js';
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
 * Applies the access rules to a request and its full path: on with the claims
 * kept, or 401 with `WWW-Authenticate: Bearer` for a missing or bad token, 403
 * for a token without the role or scope, both as `{ error }` JSON. A path with
 * escapes (`%6F`) must pass both as sent (express routes it so) and decoded
 * (Fastify routes it so).
 */
function check(
  decide: Decide,
  req: IncomingMessage,
  path: string,
  answer: Answer,
  next: () => void,
) {
  const authorization = req.headers.authorization;
  const method = req.method!;
  const decoded = path.includes('%') ? decodedPath(path) : path;
  const decision =
    decoded === path
      ? decide({ method, path }, authorization)
      : Promise.all([
          decide({ method, path }, authorization),
          decide({ method, path: decoded }, authorization),
        ]).then(([sent, other]) =>
          !sent.allowed || (other.allowed && sent.claims) ? sent : other,
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
  return (req, reply, next) => check(decide, req.raw, pathOf(req.url), reply, next);
}

/** The access rules as express middleware, deciding on the full path where it is mounted. */
export function httpGuard(decide: Decide): RequestHandler {
  return (req, res, next) => check(decide, req, req.baseUrl + req.path, res, () => next());
}

/** What the claims of an HTTP request are found by: the request, one wrapping it, or its response. */
export type HttpCarrier = IncomingMessage | { readonly raw: IncomingMessage } | Response;

/** The claims the guard verified for a request. */
export function httpClaims(from: HttpCarrier): Claims | undefined {
  const req = 'raw' in from ? from.raw : 'req' in from ? from.req : from;
  return CLAIMS.get(req);
}
