import { DuplicatePluginError, InvalidPluginError } from './errors.js';
import { flavorFields, isFlavor } from './flavor.js';
import { isPlugin, type NamedPlugin, type Plugin } from './plugin.js';
import type { PlugOptions } from './vocabulary.js';

/** A plugin found in a flavor tree, with where it was found. */
export interface FoundPlugin {
  name: string;
  /** Field path from the root flavor, e.g. `rpc.local.logs`. */
  path: string;
  plugin: Plugin;
  options: PlugOptions;
}

export type { NamedPlugin } from './plugin.js';

const INJECTED = Symbol('flavorkit.injected');

/**
 * Calls `inject()` at most once per flavor instance, embedded flavors before the
 * flavor that embeds them.
 */
function injectOnce(flavor: object, path = '', seen = new Set<object>()): void {
  if (seen.has(flavor)) return;
  seen.add(flavor);
  for (const field of flavorFields(flavor)) {
    if (field.kind !== 'embed') continue;
    const innerPath = join(path, field.key);
    injectOnce(embedded(flavor, field.key, innerPath), innerPath, seen);
  }
  const target = flavor as { inject?: () => void; [INJECTED]?: true };
  if (target[INJECTED]) return;
  Object.defineProperty(target, INJECTED, { value: true, enumerable: false });
  target.inject?.();
}

/**
 * Lists the plugins of a flavor tree: declaration order, depth first, each
 * instance once. Two different instances with one name are an error.
 */
export function flatten(root: object | Array<Plugin | NamedPlugin>): FoundPlugin[] {
  const found = new Map<string, FoundPlugin>();
  const listed = new Set<Plugin>();
  const add = (candidate: FoundPlugin): void => {
    if (listed.has(candidate.plugin)) return;
    const other = found.get(candidate.name);
    if (other) throw new DuplicatePluginError(candidate.name, other.path, candidate.path);
    found.set(candidate.name, candidate);
    listed.add(candidate.plugin);
  };

  if (Array.isArray(root)) {
    root.forEach((item, i) => add(fromListItem(item, `[${i}]`)));
  } else if (isFlavor(root)) {
    injectOnce(root);
    walk(root, '', new Set(), add);
  } else {
    throw new InvalidPluginError(
      'the agent root',
      `is ${describe(root)}`,
      'Pass an instance of a @Flavor() class or an array of plugins to new Agent()',
    );
  }
  return [...found.values()];
}

function walk(
  flavor: object,
  path: string,
  visited: Set<object>,
  add: (p: FoundPlugin) => void,
): void {
  if (visited.has(flavor)) return;
  visited.add(flavor);
  for (const field of flavorFields(flavor)) {
    const value = (flavor as Record<string, unknown>)[field.key];
    const fieldPath = join(path, field.key);
    if (field.kind === 'embed') {
      walk(embedded(flavor, field.key, fieldPath), fieldPath, visited, add);
      continue;
    }
    if (!isPlugin(value)) {
      throw new InvalidPluginError(
        fieldPath,
        `is marked @Plug() but holds ${describe(value)}`,
        'Assign an object with an init(ctx) method to the field, or remove @Plug()',
      );
    }
    add({
      name: field.options.name ?? field.key,
      path: fieldPath,
      plugin: value,
      options: field.options,
    });
  }
}

function embedded(flavor: object, key: string, path: string): object {
  const inner = (flavor as Record<string, unknown>)[key];
  if (isFlavor(inner)) return inner;
  throw new InvalidPluginError(
    path,
    `is marked @Embed() but holds ${describe(inner)}`,
    'Assign an instance of a @Flavor() class to the field',
  );
}

function fromListItem(item: Plugin | NamedPlugin, path: string): FoundPlugin {
  if (isPlugin(item)) return { name: defaultName(item), path, plugin: item, options: {} };
  if (item && typeof item === 'object' && isPlugin(item.plugin) && typeof item.name === 'string') {
    const { plugin, name, path: origin, ...options } = item;
    return { name, path: origin ?? path, plugin, options };
  }
  throw new InvalidPluginError(
    path,
    `holds ${describe(item)}`,
    'Give new Agent([...]) plugins or { name, plugin } entries',
  );
}

/** The plugin's own string `name`, else its class: `GreeterPlugin` → `greeter`, `HttpServer` → `http-server`. */
function defaultName(plugin: Plugin): string {
  const own = (plugin as { name?: unknown }).name;
  if (typeof own === 'string' && own) return own;
  const cls = plugin.constructor?.name || 'plugin';
  const bare = cls === 'Plugin' || cls === 'Object' ? 'plugin' : cls.replace(/Plugin$/, '');
  return bare.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  const cls = value.constructor?.name;
  return cls && cls !== 'Object' ? `a ${cls} without init()` : 'an object without init()';
}
