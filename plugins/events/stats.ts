import { Counter, Gauge, type Registry } from 'prom-client';

/** Counts kept by the events plugin, also exported as Prometheus metrics when a registry is wired. */
export interface EventStats {
  published: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  inFlight: number;
}

interface Metric {
  inc(by?: number): void;
}

/** The counts of one subscription, with its metric children resolved once. */
export interface SubscriptionCounters {
  delivered(): void;
  retried(): void;
  deadLettered(): void;
  inFlight(delta: 1 | -1): void;
}

const none: Metric = { inc: () => undefined };

/** The plugin's counters; each also feeds a prom-client metric when a registry is given. */
export class EventCounters {
  readonly values: EventStats = {
    published: 0,
    delivered: 0,
    retried: 0,
    deadLettered: 0,
    inFlight: 0,
  };
  private readonly prom?: {
    published: Counter;
    delivered: Counter;
    retried: Counter;
    deadLettered: Counter;
  };
  private readonly inFlightMetric: Metric = none;
  private readonly publishedByTopic = new Map<string, Metric>();

  constructor(
    private readonly plugin: string,
    registry?: Registry,
  ) {
    if (!registry) return;
    const counter = (name: string, help: string, labelNames: string[]) =>
      (registry.getSingleMetric(name) as Counter | undefined) ??
      new Counter({ name, help, labelNames, registers: [registry] });
    const withGroup = ['plugin', 'topic', 'group'];
    this.prom = {
      published: counter('flavorkit_events_published_total', 'Messages published', [
        'plugin',
        'topic',
      ]),
      delivered: counter(
        'flavorkit_events_delivered_total',
        'Messages handled successfully',
        withGroup,
      ),
      retried: counter('flavorkit_events_retried_total', 'Failed attempts retried', withGroup),
      deadLettered: counter(
        'flavorkit_events_dead_lettered_total',
        'Messages sent to the dead-letter topic after the last attempt',
        withGroup,
      ),
    };
    const inFlight =
      (registry.getSingleMetric('flavorkit_events_in_flight') as Gauge | undefined) ??
      new Gauge({
        name: 'flavorkit_events_in_flight',
        help: 'Messages being handled (or waiting for a retry) right now',
        labelNames: ['plugin'],
        registers: [registry],
      });
    this.inFlightMetric = inFlight.labels({ plugin });
  }

  published(topic: string): void {
    this.values.published++;
    if (!this.prom) return;
    let metric = this.publishedByTopic.get(topic);
    if (!metric) {
      metric = this.prom.published.labels({ plugin: this.plugin, topic });
      this.publishedByTopic.set(topic, metric);
    }
    metric.inc();
  }

  /** The counters of one subscription of `topic` in `group`. */
  subscription(topic: string, group: string | undefined): SubscriptionCounters {
    const labels = { plugin: this.plugin, topic, group: group ?? '' };
    const { values, prom, inFlightMetric } = this;
    const delivered = prom?.delivered.labels(labels) ?? none;
    const retried = prom?.retried.labels(labels) ?? none;
    const deadLettered = prom?.deadLettered.labels(labels) ?? none;
    return {
      delivered: () => {
        values.delivered++;
        delivered.inc();
      },
      retried: () => {
        values.retried++;
        retried.inc();
      },
      deadLettered: () => {
        values.deadLettered++;
        deadLettered.inc();
      },
      inFlight: (delta) => {
        values.inFlight += delta;
        inFlightMetric.inc(delta);
      },
    };
  }
}
