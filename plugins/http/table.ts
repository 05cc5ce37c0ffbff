import express, { type RequestHandler, type Router } from 'express';

/** A first path segment express matches as written: no parameter, pattern or escape. */
const LITERAL = /^[\w.~-]*$/;

/**
 * Routes added one after another on an express app, kept as one layer that
 * finds them by their first path segment (`/metrics`, `/log/...`): express
 * tries the layers of an app one by one, so a request would otherwise pass
 * every route added before its own. Each segment's routes sit in an express
 * router, in the order they were added, and match exactly as before; layers
 * the app gets in between (middleware, routers) start a new table, so the
 * order of everything stays as written.
 */
export class RouteTable {
  private readonly groups = new Map<string, Router>();

  /** The one layer on the app. */
  readonly handle: RequestHandler = (req, res, next) => {
    const path = req.path;
    const end = path.indexOf('/', 1);
    const group = this.groups.get((end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase());
    if (group) group(req, res, next);
    else next();
  };

  /** A route path's first segment, lower case, when express matches it as written; else undefined. */
  static segment(path: string): string | undefined {
    const end = path.indexOf('/', 1);
    const first = end < 0 ? path.slice(1) : path.slice(1, end);
    return path.startsWith('/') && LITERAL.test(first) ? first.toLowerCase() : undefined;
  }

  /** The router that takes routes of `segment`. */
  group(segment: string): Router {
    let router = this.groups.get(segment);
    if (!router) this.groups.set(segment, (router = express.Router()));
    return router;
  }
}
