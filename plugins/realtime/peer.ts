import { ConfigError } from '../../src/index.js';

/**
 * Imports an optional peer package when a plugin starts; a missing one fails
 * the start with a `ConfigError` naming the package and the install line.
 */
export async function importPeer<T>(
  plugin: string,
  setting: string,
  load: () => Promise<T>,
  pkg: string,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string } | undefined)?.code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw err;
    throw new ConfigError(plugin, [
      {
        plugin,
        setting,
        source: 'dependency',
        message: `needs the package "${pkg}", which is not installed: npm install ${pkg}`,
      },
    ]);
  }
}
