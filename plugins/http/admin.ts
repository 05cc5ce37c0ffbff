import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';

/** The outcome of an admin access check: allowed, or an HTTP status with a reason. */
export type AdminDecision =
  { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

/**
 * Who may call admin routes: with a token configured, a request bearing exactly
 * that token (compared in constant time); without one, loopback clients only.
 */
export function adminAccess(
  remoteAddress: string | undefined,
  authorization: string | undefined,
  token: string | undefined,
): AdminDecision {
  if (token === undefined) {
    return isLoopback(remoteAddress)
      ? { allowed: true }
      : {
          allowed: false,
          status: 403,
          reason: 'admin routes answer loopback clients only; configure an admin token',
        };
  }
  const match = /^Bearer (.+)$/i.exec(authorization ?? '');
  if (!match) {
    return { allowed: false, status: 401, reason: 'send Authorization: Bearer <admin token>' };
  }
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1]!), digest(token))
    ? { allowed: true }
    : { allowed: false, status: 403, reason: 'the admin token does not match' };
}

/**
 * An extra way into admin routes, consulted before the static token: resolves
 * true to let the request in (e.g. a JWT with an admin role), false to fall back.
 */
export type AdminAuthorizer = (authorization: string) => boolean | Promise<boolean>;

/** What a plugin uses to add an `AdminAuthorizer` to a server's admin routes. */
export interface AdminAuthorization {
  authorizeAdmin(authorizer: AdminAuthorizer | undefined): void;
}

/**
 * The admin decision for a request: the authorizer first when there is one and
 * the request bears an `Authorization` header, then `adminAccess`. The same
 * check for every engine; synchronous unless the authorizer is consulted.
 */
export function adminCheck(
  token: () => string | undefined,
  authorizer: () => AdminAuthorizer | undefined,
): (req: IncomingMessage) => AdminDecision | Promise<AdminDecision> {
  const staticAccess = (req: IncomingMessage) =>
    adminAccess(req.socket.remoteAddress, req.headers.authorization, token());
  return (req) => {
    const authorize = authorizer();
    const header = req.headers.authorization;
    if (!authorize || !header) return staticAccess(req);
    return Promise.resolve()
      .then(() => authorize(header))
      .then(
        (ok): AdminDecision => (ok ? { allowed: true } : staticAccess(req)),
        () => staticAccess(req),
      );
  };
}

/** Express middleware enforcing an admin check. */
export function adminGuard(
  check: (req: IncomingMessage) => AdminDecision | Promise<AdminDecision>,
): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const decision = check(req);
    if (decision instanceof Promise) void decision.then((d) => decide(d, res, next));
    else decide(decision, res, next);
  };
}

function decide(decision: AdminDecision, res: Response, next: NextFunction): void {
  if (decision.allowed) return next();
  if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(decision.status).json({ error: decision.reason });
}
