import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { sharedMetric } from '../prometheus/shared.js';
import type { PoolStats } from './database.js';

const POOLS = Symbol('flavorkit.postgres.pools');

type PoolGauge = Gauge<'plugin'> & { [POOLS]: Map<string, () => PoolStats> };

/** A gauge read at scrape time from every pool registered on it. */
function poolGauge(registry: Registry, name: string, help: string, read: keyof PoolStats) {
  return sharedMetric(registry, name, () => {
    const gauge = new Gauge({
      name,
      help,
      labelNames: ['plugin'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [plugin, stats] of (this as PoolGauge)[POOLS])
          this.set({ plugin }, stats()[read]);
      },
    }) as PoolGauge;
    gauge[POOLS] = new Map();
    return gauge;
  });
}

/** Records one query: its duration and whether it failed. */
export type QueryObserver = (seconds: number, failed: boolean) => void;

/**
 * Puts one plugin's series in the registry: pool gauges (total, idle, waiting)
 * read at scrape time, a query counter by outcome and a duration histogram.
 * Returns the observer for queries and a function that removes the series.
 */
export function postgresMetrics(
  registry: Registry,
  plugin: string,
  stats: (() => PoolStats) | undefined,
): { observe: QueryObserver; remove: () => void } {
  const gauges = [
    poolGauge(registry, 'flavorkit_postgres_pool_total', 'Connections the pool holds', 'total'),
    poolGauge(registry, 'flavorkit_postgres_pool_idle', 'Idle connections of the pool', 'idle'),
    poolGauge(
      registry,
      'flavorkit_postgres_pool_waiting',
      'Queries waiting for a connection',
      'waiting',
    ),
  ];
  if (stats) for (const gauge of gauges) gauge[POOLS].set(plugin, stats);
  const queries = sharedMetric(
    registry,
    'flavorkit_postgres_queries_total',
    () =>
      new Counter({
        name: 'flavorkit_postgres_queries_total',
        help: 'Statements run through the plugin, by outcome',
        labelNames: ['plugin', 'outcome'],
        registers: [registry],
      }),
  );
  const duration = sharedMetric(
    registry,
    'flavorkit_postgres_query_duration_seconds',
    () =>
      new Histogram({
        name: 'flavorkit_postgres_query_duration_seconds',
        help: 'Time statements run through the plugin took',
        labelNames: ['plugin'],
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
        registers: [registry],
      }),
  );
  const ok = queries.labels({ plugin, outcome: 'ok' });
  const failed = queries.labels({ plugin, outcome: 'error' });
  const time = duration.labels({ plugin });
  return {
    observe: (seconds, error) => {
      (error ? failed : ok).inc();
      time.observe(seconds);
    },
    remove: () => {
      for (const gauge of gauges) gauge[POOLS].delete(plugin);
      queries.remove({ plugin, outcome: 'ok' });
      queries.remove({ plugin, outcome: 'error' });
      duration.remove({ plugin });
    },
  };
}
