import type { PluginInfo } from './vocabulary.js';
import type { Events } from './events.js';
import type { LogRegistry } from './logging/registry.js';

/** Logs the start-up timeline, one line per plugin with its durations, once the agent started. */
export function logTimeline(events: Events, logs: LogRegistry, plugins: () => PluginInfo[]): void {
  const log = logs.logger('agent');
  events.on('started', ({ durationMs, degraded }) => {
    if (!logs.enabled('agent', 'info')) return;
    for (const p of plugins()) {
      const init = p.timings.init?.toFixed(1) ?? '-';
      const after = p.timings.afterInit?.toFixed(1) ?? '-';
      log.info(
        `${p.name.padEnd(20)} init ${init.padStart(7)} ms  afterInit ${after.padStart(7)} ms  ${p.state}`,
      );
    }
    log.info(`started ${degraded ? 'degraded ' : ''}in ${durationMs.toFixed(1)} ms`);
  });
  events.on('startFailed', ({ error }) =>
    log.error(`start failed: ${error.message}`, { code: (error as { code?: string }).code }),
  );
  events.on('stopped', ({ durationMs, errors }) =>
    log.info(
      `stopped in ${durationMs.toFixed(1)} ms${errors.length ? ` with ${errors.length} error(s)` : ''}`,
    ),
  );
}
