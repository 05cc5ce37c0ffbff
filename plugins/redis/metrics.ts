import { tracingChannel } from 'node:diagnostics_channel';
import { Counter, type Registry } from 'prom-client';
import { sharedMetric } from '../prometheus/shared.js';

/** What node-redis publishes on its `node-redis:command` tracing channel. */
interface CommandContext {
  clientId: string;
}

/** The counters of one plugin; `stop()` unsubscribes and removes its series. */
export interface RedisCounters {
  reconnected(): void;
  stop(): void;
}

function counter(registry: Registry, name: string, help: string): Counter<'plugin'> {
  return sharedMetric(
    registry,
    name,
    () => new Counter({ name, help, labelNames: ['plugin'], registers: [registry] }),
  );
}

/**
 * Counts the commands and failed commands of the clients `ids()` names, as
 * node-redis reports them on its tracing channel (process-wide, so each
 * message is checked against this plugin's clients), and reconnects as told.
 */
export function redisCounters(
  registry: Registry,
  plugin: string,
  ids: () => string[],
): RedisCounters {
  const commands = counter(registry, 'flavorkit_redis_commands_total', 'Commands sent, by plugin');
  const errors = counter(
    registry,
    'flavorkit_redis_errors_total',
    'Commands that failed, by plugin',
  );
  const reconnects = counter(
    registry,
    'flavorkit_redis_reconnects_total',
    'Reconnect attempts, by plugin',
  );
  const sent = commands.labels({ plugin });
  const failed = errors.labels({ plugin });
  const again = reconnects.labels({ plugin });
  sent.inc(0);
  failed.inc(0);
  again.inc(0);
  const ours = (context: unknown) => ids().includes((context as CommandContext).clientId);
  const channel = tracingChannel('node-redis:command');
  const handlers = {
    start: (context: unknown) => {
      if (ours(context)) sent.inc();
    },
    end: () => {},
    asyncStart: () => {},
    asyncEnd: () => {},
    error: (context: unknown) => {
      if (ours(context)) failed.inc();
    },
  };
  channel.subscribe(handlers);
  return {
    reconnected: () => again.inc(),
    stop: () => {
      channel.unsubscribe(handlers);
      commands.remove({ plugin });
      errors.remove({ plugin });
      reconnects.remove({ plugin });
    },
  };
}
