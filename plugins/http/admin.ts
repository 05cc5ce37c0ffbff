import { createHash, timingSafeEqual } from 'node:crypto';
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

/** Express middleware enforcing `adminAccess`, after asking the authorizer if there is one. */
export function adminGuard(
  token: () => string | undefined,
  authorizer: () => AdminAuthorizer | undefined = () => undefined,
) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const authorize = authorizer();
    const header = req.headers.authorization;
    if (authorize && header) {
      Promise.resolve()
        .then(() => authorize(header))
        .then(
          (ok) => (ok ? next() : staticAccess(req, res, next)),
          () => staticAccess(req, res, next),
        );
      return;
    }
    staticAccess(req, res, next);
  };

  function staticAccess(req: Request, res: Response, next: NextFunction): void {
    const decision = adminAccess(req.socket.remoteAddress, req.headers.authorization, token());
    if (decision.allowed) return next();
    if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(decision.status).json({ error: decision.reason });
  }
}
