import type { AgentEventName, AgentListener } from './events.js';
import type { LogRegistry } from './logging/registry.js';
import { TIMELINE_FULL_UP_TO, timelineLines, timelineSummary } from './timeline.js';
import type { PluginInfo } from './vocabulary.js';

/** What a printer gets: the agent's events, its loggers and its plugins. */
export interface PrinterSource {
  on<E extends AgentEventName>(event: E, listener: AgentListener<E>): () => void;
  readonly logs: LogRegistry;
  readonly plugins: PluginInfo[];
}

/**
 * Turns an agent's events into output. `AgentOptions.printer` replaces the
 * default, `logPrinter`; a printer that subscribes to nothing prints nothing.
 */
export type Printer = (agent: PrinterSource) => void;

/**
 * The default printer: the agent's lines through its `agent` logger. The
 * start-up timeline, once started, is one line per plugin up to 50 plugins and
 * a summary (totals, the slowest ten) past that, in full at level `debug`.
 */
export const logPrinter: Printer = (agent) => {
  const { logs } = agent;
  const log = logs.logger('agent');
  agent.on('started', ({ durationMs, degraded }) => {
    if (!logs.enabled('agent', 'info')) return;
    const plugins = agent.plugins;
    const full = plugins.length <= TIMELINE_FULL_UP_TO || logs.enabled('agent', 'debug');
    for (const line of full ? timelineLines(plugins) : timelineSummary(plugins)) log.info(line);
    log.info(`started ${degraded ? 'degraded ' : ''}in ${durationMs.toFixed(1)} ms`);
  });
  agent.on('pluginFailed', ({ plugin, phase, optional, error }) => {
    if (optional) log.warn(`optional plugin ${plugin} failed in ${phase}: ${error.message}`);
  });
  agent.on('pluginSkipped', ({ plugin, because }) => log.warn(`${plugin} not started: ${because}`));
  agent.on('configured', ({ plugin, config }) => {
    if (logs.enabled('agent', 'debug')) log.debug(`configuration of ${plugin}`, config);
  });
  agent.on('rolledBack', ({ errors }) => {
    for (const e of errors) log.error(`rollback: ${e.message}`, { code: e.code });
  });
  agent.on('startFailed', ({ error }) =>
    log.error(`start failed: ${error.message}`, { code: (error as { code?: string }).code }),
  );
  agent.on('stopped', ({ durationMs, errors }) => {
    if (errors.length === 0) return log.info(`stopped in ${durationMs.toFixed(1)} ms`);
    log.info(`stopped in ${durationMs.toFixed(1)} ms with ${errors.length} error(s)`);
    for (const e of errors)
      log.error(e.message, { code: e.code, plugin: e.plugin, phase: e.phase });
  });
  agent.on('listenerFailed', ({ event, error }) =>
    log.error('an event listener threw', { event, error: error.message }),
  );
  agent.on('signal', ({ signal, again }) =>
    again
      ? log.error(`${signal} received again while stopping: exiting now`)
      : log.info(`${signal} received: stopping`),
  );
  agent.on('fault', ({ kind, error }) =>
    log.error(
      `${kind === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'}: ${error.message}; stopping`,
      { stack: error.stack },
    ),
  );
  agent.on('exiting', ({ code }) =>
    code === 0
      ? log.info('process exiting with code 0')
      : log.warn(`process exiting with code ${code}`),
  );
};
