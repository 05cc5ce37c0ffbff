import { DuplicatePluginError, InvalidPluginError } from './errors.js';
import { type FlavorField, flavorFields, isFlavor } from './flavor.js';
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

/** Makes the record of one plugin found; `flatten` lists these. */
export type Listing<T> = (name: string, path: string, plugin: Plugin, options: PlugOptions) => T;

const asFound: Listing<FoundPlugin> = (name, path, plugin, options) => ({
  name,
  path,
  plugin,
  options,
});

/**
 * The flavor instances whose `inject()` ran, in any agent (kept beside them
 * rather than marked on them: adding a property reshapes every flavor object).
 */
const injected = new WeakSet<object>();

/** The flavors met by one flatten, each with its decorated fields, read once for both passes. */
type Met = Map<object, readonly FlavorField[]>;

/**
 * Calls `inject()` at most once per flavor instance, embedded flavors before the
 * flavor that embeds them.
 */
function injectOnce(flavor: object, path: string, met: Met): void {
  if (met.has(flavor)) return;
  const fields = flavorFields(flavor);
  met.set(flavor, fields);
  for (const field of fields) {
    if (field.kind !== 'embed') continue;
    const innerPath = join(path, field.key);
    injectOnce(embedded(flavor, field.key, innerPath), innerPath, met);
  }
  if (injected.has(flavor)) return;
  injected.add(flavor);
  (flavor as { inject?: () => void }).inject?.();
}

/** What a flatten has found so far: each plugin once, each name once. */
class Found<T extends { path: string }> {
  private readonly byName = new Map<string, T>();
  private readonly listed = new Set<Plugin>();

  constructor(private readonly make: Listing<T>) {}

  add(name: string, path: string, plugin: Plugin, options: PlugOptions): void {
    if (this.listed.has(plugin)) return;
    const other = this.byName.get(name);
    if (other) throw new DuplicatePluginError(name, other.path, path);
    this.byName.set(name, this.make(name, path, plugin, options));
    this.listed.add(plugin);
  }

  list(): T[] {
    return [...this.byName.values()];
  }
}

/**
 * Lists the plugins of a flavor tree: declaration order, depth first, each
 * instance once. Two different instances with one name are an error. Each
 * plugin is listed as `make` records it, by default as a `FoundPlugin`.
 */
export function flatten(root: object | Array<Plugin | NamedPlugin>): FoundPlugin[];
export function flatten<T extends { path: string }>(
  root: object | Array<Plugin | NamedPlugin>,
  make: Listing<T>,
): T[];
export function flatten(
  root: object | Array<Plugin | NamedPlugin>,
  make: Listing<{ path: string }> = asFound,
): Array<{ path: string }> {
  const found = new Found(make);
  if (Array.isArray(root)) {
    root.forEach((item: Plugin | NamedPlugin, i) => {
      const { name, path, plugin, options } = fromListItem(item, `[${i}]`);
      found.add(name, path, plugin, options);
    });
  } else if (isFlavor(root)) {
    const met: Met = new Map();
    injectOnce(root, '', met);
    walk(root, '', met, new Set(), found);
  } else {
    throw new InvalidPluginError(
      'the agent root',
      `is ${describe(root)}`,
      'Pass an instance of a @Flavor() class or an array of plugins to new Agent()',
    );
  }
  return found.list();
}

function walk(
  flavor: object,
  path: string,
  met: Met,
  visited: Set<object>,
  found: Found<{ path: string }>,
): void {
  if (visited.has(flavor)) return;
  visited.add(flavor);
  // a flavor that inject() put in place after the first pass was not met yet
  for (const field of met.get(flavor) ?? flavorFields(flavor)) {
    const fieldPath = join(path, field.key);
    const value = (flavor as Record<string, unknown>)[field.key];
    if (field.kind === 'embed') {
      // a flavor met in the first pass is known to be one
      const inner = met.has(value as object)
        ? (value as object)
        : embedded(flavor, field.key, fieldPath);
      walk(inner, fieldPath, met, visited, found);
      continue;
    }
    if (!isPlugin(value)) {
      throw new InvalidPluginError(
        fieldPath,
        `is marked @Plug() but holds ${describe(value)}`,
        'Assign an object with an init(ctx) method to the field, or remove @Plug()',
      );
    }
    found.add(field.options.name ?? field.key, fieldPath, value, field.options);
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
