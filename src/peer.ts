import { ConfigError } from './errors.js';

/**
 * Loads an optional peer dependency when a plugin starts. `load` is the literal
 * `() => import('<package>')`, so bundlers and the type checker still see it;
 * a missing package fails the start with a `ConfigError` naming the plugin,
 * the package and the `npm install` line.
 */
export async function importPeer<T>(
  plugin: string,
  pkg: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') throw err;
    throw new ConfigError(plugin, [
      {
        plugin,
        setting: 'dependencies',
        source: 'package.json',
        message: `the package ${pkg} is not installed: npm install ${pkg}`,
      },
    ]);
  }
}
