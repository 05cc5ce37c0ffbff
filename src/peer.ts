import { ConfigError } from './errors.js';

/**
 * Loads an optional peer package when a plugin starts (`load` is `() => import('pg')`).
 * When the package is not installed, fails with a `ConfigError` naming it and the
 * `npm install` line; any other failure is rethrown as it is.
 */
export async function importPeer<T>(
  plugin: string,
  pkg: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: unknown } | undefined)?.code;
    const missing =
      (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
      String((err as Error).message).includes(pkg);
    if (!missing) throw err;
    throw new ConfigError(plugin, [
      {
        plugin,
        setting: 'package',
        source: 'node_modules',
        message: `needs the "${pkg}" package, which is not installed: npm install ${pkg}`,
      },
    ]);
  }
}
