import { Counter, Gauge, type Registry } from 'prom-client';

/** Counts kept by the events plugin, also exported as Prometheus metrics when a registry is wired. */
export interface EventStats {
  published: number;
  delivered: number;
  retried: number;
  deadLettered: number;
  inFlight: number;
}

type Labels = { plugin: string; topic: string; group?: string };

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
    inFlight: Gauge;
  };

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
      inFlight:
        (registry.getSingleMetric('flavorkit_events_in_flight') as Gauge | undefined) ??
        new Gauge({
          name: 'flavorkit_events_in_flight',
          help: 'Messages being handled (or waiting for a retry) right now',
          labelNames: ['plugin'],
          registers: [registry],
        }),
    };
  }

  published(topic: string): void {
    this.values.published++;
    this.prom?.published.inc({ plugin: this.plugin, topic });
  }

  delivered(topic: string, group: string | undefined): void {
    this.values.delivered++;
    this.prom?.delivered.inc(this.labels(topic, group));
  }

  retried(topic: string, group: string | undefined): void {
    this.values.retried++;
    this.prom?.retried.inc(this.labels(topic, group));
  }

  deadLettered(topic: string, group: string | undefined): void {
    this.values.deadLettered++;
    this.prom?.deadLettered.inc(this.labels(topic, group));
  }

  inFlight(delta: 1 | -1): void {
    this.values.inFlight += delta;
    this.prom?.inFlight.inc({ plugin: this.plugin }, delta);
  }

  private labels(topic: string, group: string | undefined): Labels {
    return { plugin: this.plugin, topic, group: group ?? '' };
  }
}
