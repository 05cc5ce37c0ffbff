import type { Container } from 'inversify';
import type { Calls } from './call.js';
import { type Entry, newEntry } from './entry.js';
import {
  AgentStateError,
  AgentStopError,
  DuplicatePluginError,
  FlavorkitError,
  PluginStartError,
  type PluginStopError,
  toError,
} from './errors.js';
import type { Events } from './events.js';
import type { Lifecycle } from './lifecycle.js';
import { Budget } from './limits.js';
import { depsOf } from './order.js';
import type { NamedPlugin, Plugin } from './plugin.js';
import { START_PHASES, STOP_PHASES, type StartPhase } from './vocabulary.js';

/** What changing a running agent's plugins needs of the agent. */
export interface ChangeHost {
  /** The agent's plugin records, changed in place. */
  entries: Entry[];
  calls: Calls;
  lifecycle: Lifecycle;
  events: Events;
  defaultTimeout: number;
  startTimeout: number;
  stopTimeout: number;
  /** The container, when it was built; it follows the changes. */
  container(): Container | undefined;
  /** Throws unless the agent serves. */
  assertServing(what: string): void;
}

/** Adds a plugin to a running agent and starts it alone; see `Agent.attach`. */
export async function attach(host: ChangeHost, item: NamedPlugin): Promise<void> {
  host.assertServing(`attach "${item.name}"`);
  const existing = host.entries.find((e) => e.name === item.name);
  const path = item.path ?? `attached.${item.name}`;
  if (existing) throw new DuplicatePluginError(item.name, existing.path, path);
  const entry = newEntry(
    item.name,
    path,
    item.plugin,
    { optional: true, ...item },
    host.defaultTimeout,
  );
  entry.deps = depsOf(item.plugin, (value) => host.entries.find((e) => e.plugin === value));
  host.entries.push(entry);
  try {
    await startAlone(host, entry);
  } catch (err) {
    forget(host, entry);
    throw err;
  }
  host.container()?.bind(entry.name).toConstantValue(entry.plugin);
}

/** Starts `plugin` in place of the one called `name`, then stops that one; see `Agent.replace`. */
export async function replace(host: ChangeHost, name: string, plugin: Plugin): Promise<void> {
  host.assertServing(`replace "${name}"`);
  const old = entryNamed(host, name);
  const fresh = newEntry(name, old.path, plugin, old, host.defaultTimeout);
  fresh.deps = old.deps;
  old.retired = true;
  try {
    await startAlone(host, fresh);
  } catch (err) {
    old.retired = false;
    host.calls.announceState(old);
    throw err;
  }
  host.entries[host.entries.indexOf(old)] = fresh;
  host.container()?.rebind(name).toConstantValue(plugin);
  const errors = await closeAlone(host, old);
  if (errors.length > 0) throw new AgentStopError(errors);
}

/** Stops and removes one plugin from the running agent; see `Agent.detach`. */
export async function detach(host: ChangeHost, name: string): Promise<void> {
  const entry = entryNamed(host, name);
  const errors = await closeAlone(host, entry);
  forget(host, entry);
  const container = host.container();
  if (container?.isBound(name)) container.unbind(name);
  if (errors.length > 0) throw new AgentStopError(errors);
}

/** `init` and `afterInit` of one plugin; on failure only it is rolled back. */
async function startAlone(host: ChangeHost, entry: Entry): Promise<void> {
  const budget = new Budget('start', host.startTimeout);
  let phase: StartPhase = 'init';
  try {
    for (phase of START_PHASES) await host.calls.invoke(entry, phase, budget);
  } catch (err) {
    const error = toError(err);
    host.calls.setState(entry, 'failed', error.message);
    await host.lifecycle.rollBack([entry], error, host.stopTimeout);
    if (err instanceof FlavorkitError && err.plugin === entry.name) throw err;
    throw new PluginStartError(entry.name, phase, err);
  }
}

/** `beforeClose` and `close` of one plugin. */
async function closeAlone(host: ChangeHost, entry: Entry): Promise<PluginStopError[]> {
  const errors: PluginStopError[] = [];
  const budget = new Budget('stop', host.stopTimeout);
  for (const phase of STOP_PHASES) await host.lifecycle.closeStep(entry, phase, budget, errors);
  return errors;
}

/** Takes a plugin out of the list; listeners hear it as `pluginRemoved`. */
function forget(host: ChangeHost, entry: Entry): void {
  host.entries.splice(host.entries.indexOf(entry), 1);
  host.events.emit('pluginRemoved', { plugin: entry.name });
}

function entryNamed(host: ChangeHost, name: string): Entry {
  const entry = host.entries.find((e) => e.name === name);
  if (!entry) {
    throw new AgentStateError(`no plugin is called "${name}"`, 'Check agent.plugins for the names');
  }
  return entry;
}
