import type { HealthState, StatusReporter } from '../../plugins/status-check/index.js';

/** Resolves once the status check holds `plugin` in `state` (at once when it already does). */
export function healthOf(
  status: StatusReporter,
  plugin: string,
  state: HealthState,
): Promise<void> {
  return new Promise((resolve) => {
    if (status.agentStatus().plugins[plugin]?.state === state) return resolve();
    const off = status.on('change', (change) => {
      if (change.plugin !== plugin || change.state !== state) return;
      off();
      resolve();
    });
  });
}

/** Collects unhandled promise rejections until `stop()` returns them. */
export function unhandledRejections(): { stop(): unknown[] } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  return {
    stop: () => {
      process.off('unhandledRejection', listener);
      return seen;
    },
  };
}
