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
 * for a token without the role or scope, both as `{ error }` JSON.
 */
function check(
  decide: Decide,
  req: IncomingMessage,
  path: string,
  answer: Answer,
  next: () => void,
) {
  decide({ method: req.method!, path }, req.headers.authorization).then(
    (decision) => {
      if (decision.allowed) {
        if (decision.claims) CLAIMS.set(req, decision.claims);
        return next();
      }
      if (decision.status === 401) answer.header('WWW-Authenticate', 'Bearer');
      answer.status(decision.status).json({ error: decision.reason });
    },
    () => answer.status(500).json({ error: 'the access check failed' }),
  );
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
