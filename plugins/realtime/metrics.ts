import { Counter, Gauge, type Registry } from 'prom-client';
import type { RealtimeStats } from './hub.js';

/** Registers the realtime figures, read at scrape time; returns a function removing them. */
export function realtimeMetrics(registry: Registry, stats: RealtimeStats): () => void {
  const registers = [registry];
  const gauges: Array<[string, string, keyof RealtimeStats]> = [
    ['realtime_connections', 'Open client connections', 'connections'],
    ['realtime_subscriptions', 'Channel subscriptions of connected clients', 'subscriptions'],
  ];
  const counters: Array<[string, string, keyof RealtimeStats]> = [
    ['realtime_messages_in_total', 'Commands received from clients', 'messagesIn'],
    ['realtime_messages_out_total', 'Pushes sent to clients', 'messagesOut'],
    ['realtime_slow_disconnects_total', 'Clients dropped for not keeping up', 'slowDisconnects'],
  ];
  for (const [name, help, key] of gauges)
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(stats[key]);
      },
    });
  for (const [name, help, key] of counters)
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(stats[key]);
      },
    });
  return () => {
    for (const [name] of [...gauges, ...counters]) registry.removeSingleMetric(name);
  };
}
