import type { Metric, MetricValueWithName, Registry } from 'prom-client';

/** prom-client's default histogram buckets, in seconds. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Labels = { method: string; route: string; status: string };

/** One method/route/status: plain numbers, counted per request with no label hashing. */
interface Series {
  readonly labels: Labels;
  count: number;
  sum: number;
  /** Requests per bucket (not cumulative); the last slot is above the largest bound. */
  readonly buckets: Float64Array;
}

/**
 * `http_requests_total` and `http_request_duration_seconds` by method, route
 * template and status. A request adds to plain numbers found by route, method
 * and status (one series resolved once per combination); the Prometheus text is
 * made only when scraped. Route templates are bounded (unmatched requests share
 * `<unmatched>`), so the series are.
 */
export class RequestMetrics {
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();

  /** Counts one answered request that took `seconds`. */
  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map<string, Map<number, Series>>()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map<number, Series>()));
    let series = byStatus.get(status);
    if (!series) {
      series = {
        labels: { method, route, status: String(status) },
        count: 0,
        sum: 0,
        buckets: new Float64Array(BUCKETS.length + 1),
      };
      byStatus.set(status, series);
    }
    series.count++;
    series.sum += seconds;
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]!) bucket++;
    series.buckets[bucket]!++;
  }

  /** Adds both metrics to `registry`, read when it is scraped. */
  register(registry: Registry): void {
    registry.registerMetric(
      scraped(
        'http_requests_total',
        'HTTP requests answered',
        'counter',
        () => this.all().map((s) => ({ labels: s.labels, value: s.count })),
        () => this.byRoute.clear(),
      ),
    );
    registry.registerMetric(
      scraped(
        'http_request_duration_seconds',
        'Time to answer HTTP requests',
        'histogram',
        () => this.all().flatMap((s) => histogramValues('http_request_duration_seconds', s)),
        () => this.byRoute.clear(),
      ),
    );
  }

  private all(): Series[] {
    const all: Series[] = [];
    for (const byMethod of this.byRoute.values())
      for (const byStatus of byMethod.values()) all.push(...byStatus.values());
    return all;
  }
}

/** The `_bucket` (cumulative, `le`), `_sum` and `_count` samples of one series. */
function histogramValues(name: string, s: Series): Array<MetricValueWithName<string>> {
  const values: Array<MetricValueWithName<string>> = [];
  let total = 0;
  BUCKETS.forEach((le, i) => {
    total += s.buckets[i]!;
    values.push({ metricName: `${name}_bucket`, labels: { ...s.labels, le }, value: total });
  });
  values.push(
    { metricName: `${name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count },
    { metricName: `${name}_sum`, labels: s.labels, value: s.sum },
    { metricName: `${name}_count`, labels: s.labels, value: s.count },
  );
  return values;
}

/**
 * A metric a registry formats from `values()` at scrape time: the shape prom-client's
 * registry reads (`name`, `help`, `type`, `get()`, `reset()`), without its per-observation work.
 */
function scraped(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  values: () => Array<MetricValueWithName<string>>,
  reset: () => void,
): Metric {
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () =>
      Promise.resolve({ name: metric.name, help, type, aggregator: 'sum', values: values() }),
    reset,
  };
  return metric as unknown as Metric;
}
