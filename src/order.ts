import { DependencyCycleError } from './errors.js';
import type { Plugin } from './plugin.js';

const NONE: readonly never[] = [];

/**
 * What a plugin holds in its `deps` object, as direct values or in arrays, that
 * `known` maps to a record (other plugins of the agent): each once, never itself.
 */
export function depsOf<T>(plugin: Plugin, known: (value: unknown) => T | undefined): readonly T[] {
  const deps = (plugin as { deps?: unknown }).deps;
  if (typeof deps !== 'object' || deps === null) return NONE;
  const found: T[] = [];
  for (const value of Object.values(deps)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item === plugin) continue;
      const record = known(item);
      if (record !== undefined && !found.includes(record)) found.push(record);
    }
  }
  return found;
}

/**
 * Orders items so that each comes after everything it depends on, keeping the
 * given order otherwise: a dependency moves up just before its first dependent.
 * A cycle throws `DependencyCycleError` spelled with `nameOf`.
 */
export function orderByDependencies<T>(
  items: readonly T[],
  dependenciesOf: (item: T) => readonly T[],
  nameOf: (item: T) => string,
): T[] {
  const ordered: T[] = [];
  const done = new Set<T>();
  const path: T[] = [];
  const visit = (item: T): void => {
    if (done.has(item)) return;
    const at = path.indexOf(item);
    if (at >= 0) throw new DependencyCycleError([...path.slice(at), item].map(nameOf));
    path.push(item);
    for (const dep of dependenciesOf(item)) visit(dep);
    path.pop();
    done.add(item);
    ordered.push(item);
  };
  items.forEach(visit);
  return ordered;
}
