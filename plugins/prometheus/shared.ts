import type { Registry } from 'prom-client';

/**
 * The metric called `name` in `registry`, made by `make` the first time. Several
 * instances of one plugin class (`primary-db`, `analytics-db`) share each metric
 * and tell their series apart by a `plugin` label.
 */
export function sharedMetric<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}
