import semver from 'semver';
import { orderByDependencies } from '../order.js';
import type { Candidate } from './select.js';

/** The outcome of resolving dependencies among chosen versions. */
export interface Resolution {
  /** Loadable plugins, dependencies first, in a deterministic order. */
  order: string[];
  /** Plugins that cannot be loaded, with the reason. */
  blocked: Map<string, string>;
  /** Required dependencies whose chosen version is out of the range asked for. */
  conflicts: number;
  /** Dependencies among loader plugins that each plugin needs loaded first. */
  edges: Map<string, string[]>;
}

/**
 * Checks every plugin's dependencies against the chosen versions (or the
 * agent's static plugins), refuses cycles, blocks dependents of blocked plugins
 * transitively, and orders the rest.
 */
export function resolveDependencies(
  chosen: ReadonlyMap<string, Candidate>,
  staticNames: ReadonlySet<string>,
): Resolution {
  const blocked = new Map<string, string>();
  const edges = new Map<string, string[]>();
  let conflicts = 0;
  const names = [...chosen.keys()].sort();
  for (const name of names) {
    const { manifest } = chosen.get(name)!;
    const needs: string[] = [];
    for (const [dep, range] of Object.entries(manifest.dependencies)) {
      if (staticNames.has(dep)) continue;
      const found = chosen.get(dep);
      if (!found) {
        blocked.set(name, `requires ${dep}@${range}, which is not available`);
      } else if (!semver.satisfies(found.manifest.version, range)) {
        conflicts += 1;
        blocked.set(
          name,
          `requires ${dep}@${range}, but ${dep}@${found.manifest.version} was chosen`,
        );
      } else needs.push(dep);
    }
    for (const [dep, range] of Object.entries(manifest.optionalDependencies)) {
      const found = chosen.get(dep);
      if (found && semver.satisfies(found.manifest.version, range)) needs.push(dep);
    }
    edges.set(name, needs);
  }
  markCycles(names, edges, blocked);
  for (let changed = true; changed;) {
    changed = false;
    for (const name of names) {
      if (blocked.has(name)) continue;
      const { manifest } = chosen.get(name)!;
      const bad = edges
        .get(name)!
        .find((d) => blocked.has(d) && Object.hasOwn(manifest.dependencies, d));
      if (bad) {
        blocked.set(name, `requires ${bad}, which cannot be loaded: ${blocked.get(bad)!}`);
        changed = true;
      }
    }
  }
  for (const name of names) {
    edges.set(
      name,
      edges.get(name)!.filter((d) => !blocked.has(d)),
    );
  }
  const order = orderByDependencies(
    names.filter((n) => !blocked.has(n)),
    (n) => edges.get(n)!,
    (n) => n,
  );
  return { order, blocked, conflicts, edges };
}

/** Blocks every plugin on a dependency cycle, with the cycle spelled out. */
function markCycles(
  names: string[],
  edges: Map<string, string[]>,
  blocked: Map<string, string>,
): void {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (name: string): void => {
    if (done.has(name)) return;
    const at = path.indexOf(name);
    if (at >= 0) {
      const cycle = [...path.slice(at), name];
      for (const member of cycle) blocked.set(member, `dependency cycle: ${cycle.join(' -> ')}`);
      return;
    }
    path.push(name);
    for (const dep of edges.get(name) ?? []) visit(dep);
    path.pop();
    done.add(name);
  };
  names.forEach(visit);
}
