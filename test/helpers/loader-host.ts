import { HostFlavor } from '../../flavors/host/index.js';
import { PluginLoaderPlugin } from '../../plugins/loader-admin/index.js';
import type { LoaderEvents, LoaderPrinter, PluginLoader } from '../../src/loader/index.js';
import { testAgent } from '../../src/testing/index.js';

/** A started host agent (RPC flavor and loader) on `dir`, once its first load is done. */
export async function loaderHost(
  dir: string,
  options: { timeout?: number; printer?: LoaderPrinter; watch?: boolean; debounce?: number } = {},
) {
  const { timeout = 15_000, printer, ...loader } = options;
  const t = await testAgent(new HostFlavor(), {
    config: { loader: { dir, ...loader } },
    agent: { timeout },
    ...(printer ? { swap: { loader: new PluginLoaderPlugin({ printer }) } } : {}),
  });
  await t.flavor.loader.loaded;
  return { t, loader: t.flavor.loader.loader! };
}

/** The next `event` of `loader` that matches. */
export function nextEvent<E extends keyof LoaderEvents>(
  loader: PluginLoader,
  event: E,
  match: (e: LoaderEvents[E]) => boolean = () => true,
): Promise<LoaderEvents[E]> {
  return new Promise((resolve) => {
    const off = loader.on(event, (e) => {
      if (match(e)) {
        off();
        resolve(e);
      }
    });
  });
}

/** A printer that records every event of the given kinds, in order, as `[event, data]`. */
export function recordingPrinter(events: Array<keyof LoaderEvents>): {
  printer: LoaderPrinter;
  seen: Array<[keyof LoaderEvents, unknown]>;
} {
  const seen: Array<[keyof LoaderEvents, unknown]> = [];
  return {
    seen,
    printer: (loader) => {
      for (const event of events) loader.on(event, (e) => seen.push([event, e]));
    },
  };
}
