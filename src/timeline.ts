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
  events.on('stopped', ({ durationMs, errors }) => {
    if (errors.length === 0) return log.info(`stopped in ${durationMs.toFixed(1)} ms`);
    log.info(`stopped in ${durationMs.toFixed(1)} ms with ${errors.length} error(s)`);
    for (const e of errors)
      log.error(e.message, { code: e.code, plugin: e.plugin, phase: e.phase });
  });
  events.on('signal', ({ signal, again }) =>
    again
      ? log.error(`${signal} received again while stopping: exiting now`)
      : log.info(`${signal} received: stopping`),
  );
  events.on('fault', ({ kind, error }) =>
    log.error(
      `${kind === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'}: ${error.message}; stopping`,
      {
        stack: error.stack,
      },
    ),
  );
  events.on('exiting', ({ code }) =>
    code === 0
      ? log.info('process exiting with code 0')
      : log.warn(`process exiting with code ${code}`),
  );
}
