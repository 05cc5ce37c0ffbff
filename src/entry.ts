import type { ConfigClass } from './config/load.js';
import { depsOf, orderByDependencies } from './order.js';
import type { InitContext, Plugin } from './plugin.js';
import { timeLimit } from './limits.js';
import type { Phase, PluginInfo, PluginState, PlugOptions } from './vocabulary.js';

/** Ms per lifecycle call when neither the agent nor the plugin sets one. */
export const DEFAULT_TIMEOUT = 15_000;

/** The agent's record of one plugin: what it is, where it stands, what it took. */
export interface Entry {
  name: string;
  path: string;
  plugin: Plugin;
  optional: boolean;
  timeout: number;
  /** The records of the plugins in its `deps`, which start before it. */
  deps: readonly Entry[];
  state: PluginState;
  error?: string | undefined;
  /** Every phase present from the start, so recording one does not reshape the object. */
  timings: Record<Phase, number | undefined>;
  /** When each call began, in ms from the beginning of its start or stop. */
  began: Record<Phase, number | undefined>;
  /** `init` completed and `close` has not run yet. */
  initialised: boolean;
  /** `afterInit` completed and `beforeClose` has not run yet. */
  serving: boolean;
  controller?: AbortController | undefined;
  ctx?: InitContext | undefined;
  /** Configurations loaded during the current start, by class. */
  configs?: Map<ConfigClass, object> | undefined;
  /** Being replaced: its state changes are not announced, the new plugin's are. */
  retired?: boolean | undefined;
}

const NO_DEPS: readonly Entry[] = [];

/** A fresh record for a plugin that has not started. */
export function newEntry(
  name: string,
  path: string,
  plugin: Plugin,
  options: PlugOptions,
  defaultTimeout: number,
): Entry {
  return {
    name,
    path,
    plugin,
    optional: options.optional ?? false,
    timeout:
      options.timeout === undefined ? defaultTimeout : timeLimit(options.timeout, 'timeout', name),
    deps: NO_DEPS,
    state: 'idle',
    timings: { init: undefined, afterInit: undefined, beforeClose: undefined, close: undefined },
    began: { init: undefined, afterInit: undefined, beforeClose: undefined, close: undefined },
    initialised: false,
    serving: false,
    // every field present from the start: one object shape for every record
    error: undefined,
    controller: undefined,
    ctx: undefined,
    configs: undefined,
    retired: undefined,
  };
}

/**
 * Links each record to the records of the plugins in its `deps` and puts them in
 * start order; with no dependencies, that is the order given.
 */
export function orderEntries(entries: Entry[]): Entry[] {
  // indexed only once a plugin holds something in `deps`
  let byPlugin: Map<unknown, Entry> | undefined;
  const known = (value: unknown) =>
    (byPlugin ??= new Map(entries.map((e) => [e.plugin, e]))).get(value);
  let linked = false;
  for (const entry of entries) {
    const deps = depsOf(entry.plugin, known);
    if (deps.length === 0) continue;
    entry.deps = deps;
    linked = true;
  }
  if (!linked) return entries;
  return orderByDependencies(
    entries,
    (e) => e.deps,
    (e) => e.name,
  );
}

/** What `agent.plugins` shows of a record. */
export function infoOf(e: Entry): PluginInfo {
  return {
    name: e.name,
    path: e.path,
    state: e.state,
    optional: e.optional,
    dependsOn: e.deps.map((d) => d.name),
    timings: defined(e.timings),
    began: defined(e.began),
    ...(e.error === undefined ? {} : { error: e.error }),
  };
}

/** The first dependency of `entry` that failed or was skipped. */
export function brokenDependency(entry: Entry): Entry | undefined {
  for (const dep of entry.deps) if (dep.state === 'failed' || dep.state === 'skipped') return dep;
  return undefined;
}

/** The phases of `record` that have a value. */
function defined(record: Record<Phase, number | undefined>): Partial<Record<Phase, number>> {
  return Object.fromEntries(Object.entries(record).filter(([, ms]) => ms !== undefined));
}

/** The abort controller behind a plugin's `ctx.signal`, made on first use. */
export function controllerOf(entry: Entry): AbortController {
  entry.controller ??= new AbortController();
  return entry.controller;
}

/** Every record's dependents: the records holding it in their `deps`. */
export function dependentsOf(entries: readonly Entry[]): Map<Entry, Entry[]> {
  const dependents = new Map<Entry, Entry[]>();
  for (const e of entries) {
    for (const d of e.deps) {
      const list = dependents.get(d);
      if (list) list.push(e);
      else dependents.set(d, [e]);
    }
  }
  return dependents;
}
