import type { RequestHandler, Response } from 'express';
import type { Claims, Decision, Target } from './rules.js';

/** Where the HTTP middleware keeps the verified claims of a request. */
const CLAIMS = 'auth';

/**
 * Express middleware applying the access rules to the request's full path:
 * 401 with `WWW-Authenticate: Bearer` for a missing or bad token, 403 for a
 * token without the role or scope, both as `{ error }` JSON.
 */
export function httpGuard(
  decide: (target: Target, authorization: string | undefined) => Promise<Decision>,
): RequestHandler {
  return (req, res, next) => {
    decide({ method: req.method, path: req.baseUrl + req.path }, req.headers.authorization).then(
      (decision) => {
        if (decision.allowed) {
          if (decision.claims) res.locals[CLAIMS] = decision.claims;
          return next();
        }
        if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
        res.status(decision.status).json({ error: decision.reason });
      },
      () => res.status(500).json({ error: 'the access check failed' }),
    );
  };
}

/** The claims the middleware verified for this response's request. */
export function httpClaims(res: Response): Claims | undefined {
  return res.locals[CLAIMS] as Claims | undefined;
}
