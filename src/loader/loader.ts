import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { LoaderError, messageOf } from '../errors.js';
import { Events } from '../events.js';
import type { Logger } from '../logging/logger.js';
import type { AgentView, Plugin } from '../plugin.js';
import { discoverPlugins, type Refused } from './discover.js';
import { type HostHandle, type HostInfo, PLUGIN_API_VERSION } from './host.js';
import { resolveDependencies } from './resolve.js';
import { type Chosen, type Skipped, selectVersion } from './select.js';

/** Where a plugin is in the loader's hands. */
export type LoadState = 'discovered' | 'loading' | 'loaded' | 'failed' | 'unloading' | 'unloaded';

/** One plugin as the loader lists it. */
export interface LoaderListing {
  name: string;
  /** The chosen version, if one passed every check. */
  version?: string | undefined;
  state: LoadState;
  /** Why it is not loaded (blocked, failed), if it is not. */
  reason?: string | undefined;
  /** Versions passed over, newest first, each with its reason. */
  skipped: Skipped[];
}

/** The loader's events. */
export interface LoaderEvents {
  discovered: { name: string; version?: string | undefined };
  skipped: { name: string; version: string; reason: string };
  refused: { dir: string; reason: string };
  blocked: { name: string; reason: string };
  loading: { name: string; version: string };
  loaded: { name: string; version: string };
  failed: { name: string; version?: string | undefined; reason: string };
  unloading: { name: string; version: string };
  unloaded: { name: string; version: string };
  reloaded: { name: string; from: string; to: string };
}

/** What the loader has counted since it was made. */
export interface LoaderCounts {
  loaded: number;
  unloaded: number;
  failures: number;
  versionConflicts: number;
  skippedCandidates: number;
}

/** Settings of a `PluginLoader`. */
export interface LoaderOptions {
  /** The directory holding one sub-folder per plugin version. */
  dir: string;
  /** The running agent the plugins join. */
  agent: AgentView;
  log?: Logger | undefined;
  /** Refuse versions without an integrity field. */
  requireIntegrity?: boolean | undefined;
  /** Ms of quiet after a change in `dir` before watch mode acts; default 200. */
  debounce?: number | undefined;
  /** Ms that a plugin's import, `isAcceptable` and `createPlugin` each get; default 15 000. */
  timeout?: number | undefined;
}

interface Slot {
  name: string;
  state: LoadState;
  chosen?: Chosen | undefined;
  skipped: Skipped[];
  reason?: string | undefined;
  /** The chosen version's folder and modification time, to notice a changed version. */
  stamp?: string | undefined;
  /** Loaded: the running version and its stamp. */
  running?: { version: string; stamp: string } | undefined;
}

/**
 * Loads plugin versions from a directory into a running agent: newest
 * acceptable version of each, dependencies first; loads, unloads and reloads
 * them while the agent serves, and optionally watches the directory.
 */
export class PluginLoader {
  readonly counts: LoaderCounts = {
    loaded: 0,
    unloaded: 0,
    failures: 0,
    versionConflicts: 0,
    skippedCandidates: 0,
  };
  private readonly events: Events<LoaderEvents>;
  private readonly slots = new Map<string, Slot>();
  private order: string[] = [];
  private edges = new Map<string, string[]>();
  private refused: Refused[] = [];
  private watcher?: FSWatcher | undefined;
  private timer?: NodeJS.Timeout | undefined;
  /** Serialises operations: one load, unload, reload or sync at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LoaderOptions) {
    this.events = new Events<LoaderEvents>((err) =>
      options.log?.error(`a loader event listener threw: ${messageOf(err)}`),
    );
  }

  /** Subscribes to a loader event; returns a function that unsubscribes. */
  on<E extends keyof LoaderEvents>(event: E, listener: (e: LoaderEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Scans the directory and chooses a version of each plugin; loads nothing. */
  discover(): Promise<LoaderListing[]> {
    return this.serial(async () => {
      await this.scan();
      return this.list();
    });
  }

  /** Every plugin known, in load order first, with version, state and reasons. */
  list(): LoaderListing[] {
    const names = [...new Set([...this.order, ...[...this.slots.keys()].sort()])];
    return names.map((name) => {
      const slot = this.slots.get(name)!;
      return {
        name,
        version: slot.running?.version ?? slot.chosen?.manifest.version,
        state: slot.state,
        ...(slot.reason === undefined ? {} : { reason: slot.reason }),
        skipped: slot.skipped,
      };
    });
  }

  /** Folders whose manifests were refused, with the reason. */
  refusedFolders(): Refused[] {
    return [...this.refused];
  }

  /** Loads every discovered plugin in dependency order; failures are recorded, not thrown. */
  loadAll(): Promise<void> {
    return this.serial(async () => {
      for (const name of this.order) {
        const slot = this.slots.get(name)!;
        if (slot.state === 'discovered' || slot.state === 'unloaded') {
          await this.loadOne(name).catch(() => undefined);
        }
      }
    });
  }

  /** Loads one plugin, and its dependencies first; rejects with the reason when it cannot. */
  load(name: string): Promise<void> {
    return this.serial(() => this.loadOne(name));
  }

  /**
   * Unloads a plugin. Refused while loaded plugins depend on it, unless `force`,
   * which unloads them first, in reverse load order.
   */
  unload(name: string, options: { force?: boolean } = {}): Promise<void> {
    return this.serial(() => this.unloadOne(name, options.force ?? false));
  }

  /**
   * Looks for the newest acceptable version again and swaps it in: the new
   * version starts before the old one closes; if it fails, the old one keeps
   * serving. Loaded dependents are unloaded first and loaded again after.
   */
  reload(name: string): Promise<void> {
    return this.serial(() => this.reloadOne(name));
  }

  /** Watches the directory; after `debounce` ms of quiet, loads, upgrades and unloads what changed. */
  watch(): void {
    if (this.watcher) return;
    this.watcher = watch(this.options.dir, { recursive: true }, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        void this.serial(() => this.sync()).catch((err: unknown) =>
          this.options.log?.error(`plugin directory sync failed: ${messageOf(err)}`),
        );
      }, this.options.debounce ?? 200);
    });
  }

  /** Stops watching; waits for an operation in progress. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
    await this.queue.catch(() => undefined);
  }

  private serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private host(): HostInfo {
    return { apiVersion: PLUGIN_API_VERSION, agent: this.options.agent };
  }

  /** Discovery, selection and resolution; updates every slot that is not loaded. */
  private async scan(): Promise<void> {
    const { byName, refused } = await discoverPlugins(this.options.dir);
    this.refused = refused;
    for (const r of refused) {
      this.options.log?.warn(`plugin folder ${r.dir} refused: ${r.reason}`);
      this.events.emit('refused', r);
    }
    const chosen = new Map<string, Chosen>();
    for (const [name, candidates] of byName) {
      const stamps = await Promise.all(candidates.map((c) => stampOf(c.dir, c.manifest.main)));
      const stampByDir = new Map(candidates.map((c, i) => [c.dir, stamps[i]!]));
      const { chosen: pick, skipped } = await selectVersion(candidates, {
        host: this.host(),
        requireIntegrity: this.options.requireIntegrity ?? false,
        cacheKey: stamps.join('|'),
        timeoutMs: this.options.timeout ?? 15_000,
      });
      const slot = this.slots.get(name) ?? { name, state: 'discovered' as LoadState, skipped: [] };
      slot.skipped = skipped;
      slot.chosen = pick;
      slot.stamp = pick ? stampByDir.get(pick.dir) : undefined;
      this.slots.set(name, slot);
      this.counts.skippedCandidates += skipped.length;
      for (const s of skipped) {
        this.options.log?.info(`${name}@${s.version} skipped: ${s.reason}`);
        this.events.emit('skipped', { name, ...s });
      }
      if (pick) chosen.set(name, pick);
      this.events.emit('discovered', { name, version: pick?.manifest.version });
    }
    for (const [name, slot] of this.slots) {
      if (!byName.has(name)) {
        slot.chosen = undefined;
        slot.stamp = undefined;
      }
    }
    const statics = new Set(
      this.options.agent.plugins.map((p) => p.name).filter((n) => !this.slots.get(n)?.running),
    );
    const resolution = resolveDependencies(chosen, statics);
    this.counts.versionConflicts += resolution.conflicts;
    this.order = resolution.order;
    this.edges = resolution.edges;
    for (const [name, slot] of this.slots) {
      if (slot.running) continue;
      const reason = !slot.chosen
        ? byName.has(name)
          ? 'no version passed the checks'
          : 'no longer in the plugins directory'
        : resolution.blocked.get(name);
      slot.reason = reason;
      slot.state = reason ? 'failed' : slot.state === 'failed' ? 'discovered' : slot.state;
      if (reason && slot.chosen) this.events.emit('blocked', { name, reason });
    }
  }

  private async loadOne(name: string): Promise<void> {
    const slot = this.slotOf(name);
    if (slot.state === 'loaded') return;
    if (!slot.chosen || (slot.reason && !slot.running)) {
      throw new LoaderError(`${name} cannot be loaded: ${slot.reason ?? 'no version chosen'}`, 409);
    }
    for (const dep of this.edges.get(name) ?? []) {
      if (this.slots.get(dep)?.state !== 'loaded') await this.loadOne(dep);
    }
    const { manifest } = slot.chosen;
    slot.state = 'loading';
    this.events.emit('loading', { name, version: manifest.version });
    try {
      const plugin = await this.make(slot.chosen);
      await this.options.agent.attach({ name, plugin, path: `loader:${slot.chosen.dir}` });
    } catch (err) {
      this.fail(slot, err);
      throw new LoaderError(`${name}@${manifest.version} failed to load: ${slot.reason}`, 500);
    }
    slot.state = 'loaded';
    slot.reason = undefined;
    slot.running = { version: manifest.version, stamp: slot.stamp! };
    this.counts.loaded += 1;
    this.options.log?.info(`${name}@${manifest.version} loaded`);
    this.events.emit('loaded', { name, version: manifest.version });
  }

  private async unloadOne(name: string, force: boolean): Promise<void> {
    const slot = this.slotOf(name);
    if (!slot.running) throw new LoaderError(`${name} is not loaded`, 409);
    const dependents = this.loadedDependents(name);
    if (dependents.length > 0 && !force) {
      throw new LoaderError(
        `${name} is required by loaded ${dependents.join(', ')}: unload them first, or force`,
        409,
      );
    }
    for (const dependent of [...dependents].reverse()) await this.unloadOne(dependent, true);
    const version = slot.running.version;
    slot.state = 'unloading';
    this.events.emit('unloading', { name, version });
    try {
      await this.options.agent.detach(name);
    } finally {
      slot.state = 'unloaded';
      slot.running = undefined;
      this.counts.unloaded += 1;
      this.options.log?.info(`${name}@${version} unloaded`);
      this.events.emit('unloaded', { name, version });
    }
  }

  private async reloadOne(name: string): Promise<void> {
    const slot = this.slotOf(name);
    await this.scan();
    if (!slot.running) return this.loadOne(name);
    if (!slot.chosen) throw new LoaderError(`${name} has no loadable version any more`, 409);
    const from = slot.running.version;
    const dependents = this.loadedDependents(name);
    for (const dependent of [...dependents].reverse()) await this.unloadOne(dependent, true);
    const chosen = slot.chosen;
    try {
      const plugin = await this.make(chosen);
      await this.options.agent.replace(name, plugin);
      slot.running = { version: chosen.manifest.version, stamp: slot.stamp! };
      slot.reason = undefined;
      this.events.emit('reloaded', { name, from, to: chosen.manifest.version });
      this.options.log?.info(`${name} reloaded: ${from} -> ${chosen.manifest.version}`);
    } catch (err) {
      this.counts.failures += 1;
      const reason = messageOf(err);
      this.options.log?.error(
        `${name}@${chosen.manifest.version} failed to start; ${from} keeps serving: ${reason}`,
      );
      this.events.emit('failed', { name, version: chosen.manifest.version, reason });
      slot.reason = `reload to ${chosen.manifest.version} failed: ${reason}`;
      throw new LoaderError(
        `${name}@${chosen.manifest.version} failed; ${from} keeps serving: ${reason}`,
        500,
      );
    } finally {
      for (const dependent of dependents) await this.loadOne(dependent).catch(() => undefined);
    }
  }

  /** Applies what changed in the directory: new plugins load, changed ones reload, gone ones unload. */
  private async sync(): Promise<void> {
    const before = new Map([...this.slots].map(([n, s]) => [n, s.running?.stamp]));
    await this.scan();
    for (const name of [...this.slots.keys()].reverse()) {
      const slot = this.slots.get(name)!;
      if (slot.running && !slot.chosen) await this.unloadOne(name, true).catch(() => undefined);
    }
    for (const name of this.order) {
      const slot = this.slots.get(name)!;
      if (!slot.running) await this.loadOne(name).catch(() => undefined);
      else if (slot.stamp !== before.get(name)) await this.reloadOne(name).catch(() => undefined);
    }
  }

  private async make(chosen: Chosen): Promise<Plugin> {
    const { manifest } = chosen;
    const agent = this.options.agent;
    const plugin = <T>(name: string) => agent.container.get<T>(name);
    const dependencies: Record<string, unknown> = {};
    for (const dep of [
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.optionalDependencies),
    ]) {
      if (agent.container.isBound(dep)) dependencies[dep] = agent.container.get(dep);
    }
    const host: HostHandle = {
      ...this.host(),
      name: manifest.name,
      version: manifest.version,
      plugin,
      dependencies,
    };
    return chosen.factory(host);
  }

  private fail(slot: Slot, err: unknown): void {
    slot.state = 'failed';
    slot.reason = messageOf(err);
    this.counts.failures += 1;
    this.options.log?.error(`${slot.name} failed to load: ${slot.reason}`);
    this.events.emit('failed', {
      name: slot.name,
      version: slot.chosen?.manifest.version,
      reason: slot.reason,
    });
  }

  /** Loaded plugins that need `name`, directly or through others, in load order. */
  private loadedDependents(name: string): string[] {
    const needs = (n: string, seen = new Set<string>()): boolean =>
      (this.edges.get(n) ?? []).some(
        (d) => d === name || (!seen.has(d) && (seen.add(d), needs(d, seen))),
      );
    return this.order.filter((n) => n !== name && this.slots.get(n)?.running && needs(n));
  }

  private slotOf(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new LoaderError(`no plugin called "${name}" was discovered`, 404);
    return slot;
  }
}

/** The folder and the modification time of its main module: changes when a version is replaced. */
async function stampOf(dir: string, main: string): Promise<string> {
  const mtime = await stat(join(dir, main)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return `${dir}@${mtime}`;
}
