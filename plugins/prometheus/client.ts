import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';

// prom-client's index also loads its summaries (with a t-digest), the push gateway
// and the cluster aggregator: 12 modules the plugin does not use. What it uses comes
// from their own modules instead. They are the very objects the index exports, so
// metrics made with `prom-client` register in the plugin's registry as before.
const load = createRequire(import.meta.url);

/** prom-client's `Registry`, `Gauge` and `collectDefaultMetrics`, without the rest of its index. */
export const promClient = {
  Registry: load('prom-client/lib/registry.js') as typeof PromClient.Registry,
  Gauge: load('prom-client/lib/gauge.js') as typeof PromClient.Gauge,
  collectDefaultMetrics: load(
    'prom-client/lib/defaultMetrics.js',
  ) as typeof PromClient.collectDefaultMetrics,
};
