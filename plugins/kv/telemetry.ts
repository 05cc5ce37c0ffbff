import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../src/index.js';
import { sharedMetric } from '../prometheus/shared.js';
import type { StatusReporter } from '../status-check/index.js';
import type { StoreHooks } from './store.js';

/** Where a store's telemetry goes: metrics (when a registry is given), health, log. */
export interface TelemetryTargets {
  plugin: string;
  log: Logger;
  status?: StatusReporter;
  registry?: Registry;
}

/** What one store counts, as plain numbers; the metrics read them at scrape time. */
interface Counts {
  /** Calls by operation: [ok, error]. */
  operations: Map<string, [number, number]>;
  events: number;
  resyncs: number;
  reconnects: number;
  /** Revisions received but not yet delivered, per watch. */
  lags: Map<object, number>;
}

const STORES = Symbol('flavorkit.kv.stores');

type Scraped = (Counter | Gauge) & { [STORES]: Map<string, Counts> };

interface Series {
  name: string;
  help: string;
  type: typeof Counter | typeof Gauge;
  labelNames: string[];
  read(store: string, counts: Counts): Array<[Record<string, string>, number]>;
}

const SERIES: Series[] = [
  {
    name: 'flavorkit_kv_operations_total',
    help: 'KV store calls by operation and result',
    type: Counter,
    labelNames: ['store', 'op', 'result'],
    read: (store, counts) =>
      [...counts.operations].flatMap(([op, [ok, error]]) => [
        [{ store, op, result: 'ok' }, ok],
        [{ store, op, result: 'error' }, error],
      ]),
  },
  {
    name: 'flavorkit_kv_watch_events_total',
    help: 'Changes delivered to watches',
    type: Counter,
    labelNames: ['store'],
    read: (store, counts) => [[{ store }, counts.events]],
  },
  {
    name: 'flavorkit_kv_resyncs_total',
    help: 'Watches that lost their history and resynced',
    type: Counter,
    labelNames: ['store'],
    read: (store, counts) => [[{ store }, counts.resyncs]],
  },
  {
    name: 'flavorkit_kv_reconnects_total',
    help: 'Watches resumed after a lost connection',
    type: Counter,
    labelNames: ['store'],
    read: (store, counts) => [[{ store }, counts.reconnects]],
  },
  {
    name: 'flavorkit_kv_watch_lag_revisions',
    help: 'Revisions a watch has received but not yet delivered (largest per store)',
    type: Gauge,
    labelNames: ['store'],
    read: (store, counts) => [[{ store }, Math.max(0, ...counts.lags.values())]],
  },
];

/**
 * Puts a store's series in the registry. The metrics are shared by every store
 * in the registry (told apart by the `store` label) and read the plain counts at
 * scrape time, so an operation costs an addition, not a label lookup.
 */
function register(registry: Registry, plugin: string, counts: Counts): void {
  for (const series of SERIES) {
    const metric = sharedMetric(registry, series.name, () => {
      const made = new series.type({
        name: series.name,
        help: series.help,
        labelNames: series.labelNames,
        registers: [registry],
        collect() {
          this.reset();
          for (const [store, c] of (this as unknown as Scraped)[STORES])
            for (const [labels, value] of series.read(store, c))
              if (this instanceof Counter) this.inc(labels, value);
              else this.set(labels, value);
        },
      }) as Scraped;
      made[STORES] = new Map();
      return made;
    });
    metric[STORES].set(plugin, counts);
  }
}

/**
 * Counts operations, watch events, resyncs and reconnects, keeps the watch lag
 * (revisions received but not yet delivered, the largest over the store's
 * watches), and reports the connection health to the status check.
 */
export function storeHooks({ plugin, log, status, registry }: TelemetryTargets): StoreHooks {
  const counts: Counts = {
    operations: new Map(),
    events: 0,
    resyncs: 0,
    reconnects: 0,
    lags: new Map(),
  };
  if (registry) register(registry, plugin, counts);
  let healthy = true;
  const health = (error?: unknown) => {
    if ((error === undefined) === healthy) return;
    healthy = error === undefined;
    if (error === undefined) {
      log.info('the server answers again');
      status?.report(plugin, 'ok');
    } else {
      const message = error instanceof Error ? error.message : String(error);
      log.warn(`lost the server: ${message}`);
      status?.report(plugin, 'error', message);
    }
  };
  return {
    called(op, error) {
      health(error);
      let slot = counts.operations.get(op);
      if (!slot) counts.operations.set(op, (slot = [0, 0]));
      slot[error === undefined ? 0 : 1]++;
    },
    received: (n) => (counts.events += n),
    resynced: () => counts.resyncs++,
    reconnected: () => {
      counts.reconnects++;
      health();
    },
    disconnected: (error) => health(error),
    lag(watch, revisions) {
      if (revisions > 0) counts.lags.set(watch, revisions);
      else counts.lags.delete(watch);
    },
    failed: (error) =>
      log.error(
        `a watch listener failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  };
}
