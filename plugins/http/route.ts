import type { Request, RequestHandler, Router } from 'express';

/** The label of requests no route answered: one value for all of them. */
export const UNMATCHED = '<unmatched>';

const MOUNT = Symbol('flavorkit.mount');
type Mounted = { [MOUNT]?: string | undefined };

/**
 * The router behind a handler that remembers the mount prefix as written
 * (`/item/:id`), since express only keeps the matched text (`/item/123`).
 */
export function withMount(prefix: string, router: Router): RequestHandler & { router: Router } {
  const template = prefix === '/' ? '' : prefix.replace(/\/$/, '');
  const handle = ((req, res, next) => {
    const outer = (req as Mounted)[MOUNT];
    (req as Mounted)[MOUNT] = (outer ?? '') + template;
    router(req, res, (err?: unknown) => {
      // no route of this router answered: the ones after it are not under its prefix
      (req as Mounted)[MOUNT] = outer;
      next(err);
    });
  }) as RequestHandler & { router: Router };
  handle.router = router;
  return handle;
}

/**
 * Makes `router.use(prefix, subRouter)` remember the sub-router's prefix too, so
 * that routes of nested routers are labelled `/api/items/:id`, not `/api/:id`.
 */
export function nestMounts(router: Router): Router {
  const use = router.use.bind(router) as (...args: unknown[]) => Router;
  router.use = ((...args: unknown[]) => {
    const [prefix, sub] = args;
    if (args.length === 2 && typeof prefix === 'string' && isRouter(sub)) {
      return use(prefix, withMount(prefix, nestMounts(sub)));
    }
    return use(...args);
  }) as Router['use'];
  return router;
}

/** True for what `express.Router()` makes. */
function isRouter(value: unknown): value is Router {
  return typeof value === 'function' && Array.isArray((value as { stack?: unknown }).stack);
}

/** The label of a route outside any router, kept on express's route object once made. */
const LABEL = Symbol('flavorkit.label');

/**
 * The matched route template, lower case (express matches paths
 * case-insensitively), or `<unmatched>`. A route declared with a regular
 * expression or a list of paths is labelled as declared (`/^\/re\/\d+$/`,
 * `/a/:x,/b/:x`): the label still comes from code, never from the URL.
 */
export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown; [LABEL]?: string } | undefined;
  if (!route) return UNMATCHED;
  const base = (req as Mounted)[MOUNT];
  // known once made, for a route outside routers made by router(); on the app
  // itself (no base URL) that is told without looking for the mount prefix
  if (route[LABEL] !== undefined && (req.baseUrl === '' || base === undefined)) {
    return route[LABEL];
  }
  const path = declared(route.path);
  if (path === undefined) return UNMATCHED;
  if (base === undefined) return (route[LABEL] = path.toLowerCase());
  return (base && path === '/' ? base : base + path).toLowerCase();
}

/** A route's path as declared: a string, a regular expression, or a list of them. */
function declared(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof RegExp) return String(path);
  if (!Array.isArray(path) || path.length === 0) return undefined;
  const parts = path.map(declared);
  return parts.every((p) => p !== undefined) ? parts.join(',') : undefined;
}
