import type { Logger } from '../logging/logger.js';
import type { LoaderEvents } from './events.js';

/** What a loader printer gets: the loader's events and the logger it was given. */
export interface LoaderPrinterSource {
  on: <E extends keyof LoaderEvents>(
    event: E,
    listener: (e: LoaderEvents[E]) => void,
  ) => () => void;
  readonly log?: Logger | undefined;
}

/**
 * Turns a loader's events into output. `LoaderOptions.printer` replaces the
 * default, `loaderLogPrinter`; a printer that subscribes to nothing prints nothing.
 */
export type LoaderPrinter = (loader: LoaderPrinterSource) => void;

/** The default loader printer: one line per refusal, skip, load, failure, unload and reload, through `log`. */
export const loaderLogPrinter: LoaderPrinter = (loader) => {
  const { log } = loader;
  if (!log) return;
  loader.on('refused', ({ dir, reason }) => log.warn(`plugin folder ${dir} refused: ${reason}`));
  loader.on('skipped', ({ name, version, reason }) =>
    log.info(`${name}@${version} skipped: ${reason}`),
  );
  loader.on('blocked', ({ name, reason }) => log.warn(`${name} blocked: ${reason}`));
  loader.on('loaded', ({ name, version }) => log.info(`${name}@${version} loaded`));
  loader.on('failed', ({ name, version, running, reason }) =>
    running === undefined
      ? log.error(`${name} failed to load: ${reason}`)
      : log.error(`${name}@${version} failed to start; ${running} keeps serving: ${reason}`),
  );
  loader.on('reloadRefused', ({ name, version, running, reason }) =>
    log.warn(`${name}@${version} not taken; ${running} keeps serving: ${reason}`),
  );
  loader.on('unloaded', ({ name, version }) => log.info(`${name}@${version} unloaded`));
  loader.on('reloaded', ({ name, from, to }) => log.info(`${name} reloaded: ${from} -> ${to}`));
  loader.on('watchFailed', ({ error }) =>
    log.error(`plugin directory sync failed: ${error.message}`),
  );
  loader.on('listenerFailed', ({ event, error }) =>
    log.error(`a loader event listener threw: ${error.message}`, { event }),
  );
};
