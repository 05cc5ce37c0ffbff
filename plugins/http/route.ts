import type { Request, RequestHandler, Router } from 'express';

/** The label of requests no route answered: one value for all of them. */
export const UNMATCHED = '<unmatched>';

const MOUNT = Symbol('flavorkit.mount');
type Mounted = { [MOUNT]?: string };

/**
 * The router behind a handler that remembers the mount prefix as written
 * (`/item/:id`), since express only keeps the matched text (`/item/123`).
 */
export function withMount(prefix: string, router: Router): RequestHandler & { router: Router } {
  const template = prefix === '/' ? '' : prefix.replace(/\/$/, '');
  const handle = ((req, res, next) => {
    (req as Mounted)[MOUNT] = template;
    router(req, res, next);
  }) as RequestHandler & { router: Router };
  handle.router = router;
  return handle;
}

/** The label of a route outside any router, kept on express's route object once made. */
const LABEL = Symbol('flavorkit.label');

/** The matched route template, lower case (express matches paths case-insensitively), or `<unmatched>`. */
export function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown; [LABEL]?: string } | undefined;
  if (!route || typeof route.path !== 'string') return UNMATCHED;
  const base = (req as Mounted)[MOUNT];
  if (base === undefined) return (route[LABEL] ??= route.path.toLowerCase());
  return (base && route.path === '/' ? base : base + route.path).toLowerCase();
}
