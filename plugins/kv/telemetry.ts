import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../src/index.js';
import type { StatusReporter } from '../status-check/index.js';
import type { StoreHooks } from './store.js';

/** Where a store's telemetry goes: metrics (when a registry is given), health, log. */
export interface TelemetryTargets {
  plugin: string;
  log: Logger;
  status?: StatusReporter;
  registry?: Registry;
}

function metric<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/**
 * Counters of operations, watch events, resyncs and reconnects, the watch lag
 * gauge (revisions received but not yet delivered, the largest over the
 * store's watches), and the connection health reported to the status check.
 */
export function storeHooks({ plugin, log, status, registry }: TelemetryTargets): StoreHooks {
  const registers = registry ? [registry] : [];
  const labels = { store: plugin };
  const make = <M>(name: string, build: () => M): M | undefined =>
    registry ? metric(registry, name, build) : undefined;
  const operations = make(
    'flavorkit_kv_operations_total',
    () =>
      new Counter({
        name: 'flavorkit_kv_operations_total',
        help: 'KV store calls by operation and result',
        labelNames: ['store', 'op', 'result'],
        registers,
      }),
  );
  const counter = (name: string, help: string) =>
    make(name, () => new Counter({ name, help, labelNames: ['store'], registers }))?.labels(labels);
  const events = counter('flavorkit_kv_watch_events_total', 'Changes delivered to watches');
  const resyncs = counter(
    'flavorkit_kv_resyncs_total',
    'Watches that lost their history and resynced',
  );
  const reconnects = counter(
    'flavorkit_kv_reconnects_total',
    'Watches resumed after a lost connection',
  );
  const lags = new Map<object, number>();
  make(
    'flavorkit_kv_watch_lag_revisions',
    () =>
      new Gauge({
        name: 'flavorkit_kv_watch_lag_revisions',
        help: 'Revisions a watch has received but not yet delivered (largest per store)',
        labelNames: ['store'],
        registers,
      }),
  );
  const lagGauge = registry?.getSingleMetric('flavorkit_kv_watch_lag_revisions') as
    Gauge | undefined;
  const byOp = new Map<string, Counter.Internal>();
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
      if (!operations) return;
      const key = `${op} ${error === undefined ? 'ok' : 'error'}`;
      let child = byOp.get(key);
      if (!child) {
        child = operations.labels({
          store: plugin,
          op,
          result: error === undefined ? 'ok' : 'error',
        });
        byOp.set(key, child);
      }
      child.inc();
    },
    received: (n) => events?.inc(n),
    resynced: () => resyncs?.inc(),
    reconnected: () => {
      reconnects?.inc();
      health();
    },
    disconnected: (error) => health(error),
    lag(watch, revisions) {
      if (revisions > 0) lags.set(watch, revisions);
      else lags.delete(watch);
      lagGauge?.set(labels, Math.max(0, ...lags.values()));
    },
    failed: (error) =>
      log.error(
        `a watch listener failed: ${error instanceof Error ? error.message : String(error)}`,
      ),
  };
}
