import semver from 'semver';
import { LoaderError, toError } from '../errors.js';
import { Events } from '../events.js';
import type { Logger } from '../logging/logger.js';
import type { AgentView, Plugin } from '../plugin.js';
import { PluginFolders, type Refused, type Reread } from './discover.js';
import type { LoaderEvents } from './events.js';
import { type HostHandle, type HostInfo, PLUGIN_API_VERSION } from './host.js';
import { loaderLogPrinter, type LoaderPrinter } from './printer.js';
import { resolveDependencies } from './resolve.js';
import { type Chosen, selectVersion } from './select.js';
import {
  type LoaderListing,
  listingOf,
  operation,
  type Operation,
  type Slot,
  stampOf,
} from './slots.js';
import { FolderWatch } from './watch.js';

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
  /** Where the default printer writes. */
  log?: Logger | undefined;
  /** Turns the loader's events into output; default `loaderLogPrinter` (lines through `log`). */
  printer?: LoaderPrinter | undefined;
  /** Refuse versions without an integrity field. */
  requireIntegrity?: boolean | undefined;
  /** Ms of quiet after a change in `dir` before watch mode acts; default 200. */
  debounce?: number | undefined;
  /** Ms that a plugin's import, `isAcceptable` and `createPlugin` each get; default 15 000. */
  timeout?: number | undefined;
}

/** The plugins handed to a version, or why it cannot have them. */
type Wiring =
  | { dependencies: Record<string, unknown>; requires: Map<string, string>; uses: Set<string> }
  | { blocked: string };

/**
 * Loads plugin versions from a directory into a running agent: newest
 * acceptable version of each, dependencies first; loads, unloads and reloads
 * them while the agent serves, and optionally watches the directory. The
 * dependency ranges of loaded plugins hold for as long as they run.
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
  private readonly folders: PluginFolders;
  private readonly slots = new Map<string, Slot>();
  private order: string[] = [];
  private watcher?: FolderWatch | undefined;
  /** Set by `close()`: watch mode no longer starts (a first load may end after the close). */
  private closed = false;
  /** Serialises operations: one load, unload, reload or sync at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LoaderOptions) {
    this.folders = new PluginFolders(options.dir);
    this.events = new Events<LoaderEvents>((err, event) => {
      if (event !== 'listenerFailed') {
        this.events.emit('listenerFailed', { event, error: toError(err) });
      }
    });
    (options.printer ?? loaderLogPrinter)({
      on: (event, listener) => this.events.on(event, listener),
      log: options.log,
    });
  }

  /** Subscribes to a loader event; returns a function that unsubscribes. */
  on<E extends keyof LoaderEvents>(event: E, listener: (e: LoaderEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /** Scans the whole directory and chooses a version of each plugin; loads nothing. */
  discover(): Promise<LoaderListing[]> {
    return this.serial(async () => {
      await this.scan();
      return this.list();
    });
  }

  /** Every plugin known, in load order first, with version, state and reasons. */
  list(): LoaderListing[] {
    const names = [...new Set([...this.order, ...[...this.slots.keys()].sort()])];
    return names.map((name) => listingOf(this.slots.get(name)!));
  }

  /** Folders whose manifests were refused, or that hold a version another folder holds too. */
  refusedFolders(): Refused[] {
    return this.folders.refused();
  }

  /** Loads every discovered plugin in dependency order; failures are recorded, not thrown. */
  loadAll(): Promise<void> {
    return this.serial(async () => {
      const op = operation(false);
      for (const name of this.order) {
        const slot = this.slots.get(name)!;
        if (slot.state === 'discovered' || slot.state === 'unloaded') {
          await this.loadOne(name, op).catch(() => undefined);
        }
      }
    });
  }

  /**
   * Loads one plugin, and its dependencies first; rejects with the reason when
   * it cannot. Reads the folders that appeared since the last read and the
   * plugin's own folders, never the whole directory.
   */
  load(name: string): Promise<void> {
    return this.serial(() => this.loadOne(name, operation(true)));
  }

  /**
   * Unloads a plugin. Refused while loaded plugins depend on it, unless `force`,
   * which unloads them first, in reverse load order.
   */
  unload(name: string, options: { force?: boolean } = {}): Promise<void> {
    return this.serial(() => this.unloadOne(name, options.force ?? false));
  }

  /**
   * Reads the plugin's folders again and swaps in the newest acceptable version:
   * the new version starts before the old one closes; if it fails, the old one
   * keeps serving. A version outside the range a loaded plugin requires is
   * refused. Loaded dependents are unloaded first and loaded again after.
   */
  reload(name: string): Promise<void> {
    return this.serial(() => this.reloadOne(name, operation(true)));
  }

  /**
   * Watches the directory; after `debounce` ms of quiet, loads, upgrades and
   * unloads what changed, reading only the folders that changed. Does nothing
   * once the loader is closed.
   */
  watch(): void {
    if (this.closed) return;
    const failed = (err: unknown) => this.events.emit('watchFailed', { error: toError(err) });
    this.watcher ??= new FolderWatch(
      this.options.dir,
      this.options.debounce ?? 200,
      (changed) => void this.serial(() => this.sync(changed)).catch(failed),
      failed,
    );
  }

  /** Stops watching for good; waits for an operation in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = undefined;
    await this.queue.catch(() => undefined);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private host(): HostInfo {
    return { apiVersion: PLUGIN_API_VERSION, agent: this.options.agent };
  }

  /** Reads every folder, chooses a version of every plugin and checks their dependencies. */
  private async scan(): Promise<void> {
    for (const r of await this.folders.scanAll()) this.events.emit('refused', r);
    const names = new Set([...this.folders.names(), ...this.slots.keys()]);
    for (const name of names) await this.choose(name);
    this.resolve();
  }

  /**
   * Orders every plugin by the versions that run or would load, and records why
   * the ones not loaded cannot be (dependencies missing, out of range, a cycle).
   */
  private resolve(): void {
    const versions = new Map<string, Chosen>();
    for (const [name, slot] of this.slots) {
      const version = slot.running?.chosen ?? slot.chosen;
      if (version) versions.set(name, version);
    }
    const resolution = resolveDependencies(versions, this.statics(operation(false)));
    this.counts.versionConflicts += resolution.conflicts;
    this.order = resolution.order;
    for (const slot of this.slots.values()) {
      if (slot.running) continue;
      const blocked = resolution.blocked.get(slot.name);
      if (!slot.chosen) {
        slot.state = 'failed';
        slot.reason = this.unavailable(slot.name);
      } else if (blocked) {
        this.block(slot, blocked);
      } else {
        if (slot.state === 'failed' || slot.state === 'blocked') slot.state = 'discovered';
        slot.reason = undefined;
      }
    }
  }

  /** Chooses the newest acceptable version of `name` among its folders as last read. */
  private async choose(name: string): Promise<Slot | undefined> {
    const candidates = this.folders.candidates(name);
    for (const r of this.folders.duplicatesOf(name)) this.events.emit('refused', r);
    let slot = this.slots.get(name);
    if (!slot) {
      if (candidates.length === 0 && this.folders.duplicatesOf(name).length === 0) return;
      slot = { name, state: 'discovered', skipped: [] };
      this.slots.set(name, slot);
    }
    const stamps = await Promise.all(candidates.map((c) => stampOf(c.dir, c.manifest.main)));
    const { chosen, skipped } = await selectVersion(candidates, {
      host: this.host(),
      requireIntegrity: this.options.requireIntegrity ?? false,
      cacheKey: stamps.join('|'),
      timeoutMs: this.options.timeout ?? 15_000,
    });
    slot.skipped = skipped;
    slot.chosen = chosen;
    slot.stamp = chosen ? stamps[candidates.findIndex((c) => c.dir === chosen.dir)] : undefined;
    this.counts.skippedCandidates += skipped.length;
    for (const s of skipped) this.events.emit('skipped', { name, ...s });
    this.events.emit('discovered', { name, version: chosen?.manifest.version });
    return slot;
  }

  /**
   * The slot of `name`, its folders read again when the operation is fresh:
   * first the directory's new folders (once per operation), then the plugin's own.
   */
  private async slotFor(name: string, op: Operation): Promise<Slot | undefined> {
    if (!op.fresh || op.chosen.has(name)) return this.slots.get(name);
    if (!op.refreshed) {
      op.refreshed = true;
      this.emitRefused(await this.folders.refresh());
    }
    op.chosen.add(name);
    this.emitRefused(await this.folders.rereadPlugin(name));
    const slot = await this.choose(name);
    if (slot && !slot.running && !slot.chosen) {
      slot.state = 'failed';
      slot.reason = this.unavailable(name);
    }
    return slot;
  }

  private async loadOne(name: string, op: Operation, via: readonly string[] = []): Promise<void> {
    const slot = await this.slotFor(name, op);
    if (!slot) throw new LoaderError(`no plugin called "${name}" was discovered`, 404);
    if (slot.running) return;
    const failed = op.failed.get(name);
    if (failed !== undefined) throw new LoaderError(`${name} cannot be loaded: ${failed}`, 409);
    if (!slot.chosen) {
      throw new LoaderError(`${name} cannot be loaded: ${slot.reason ?? 'no version chosen'}`, 409);
    }
    await this.start(slot, { chosen: slot.chosen, stamp: slot.stamp! }, op, via);
  }

  /** Loads `chosen` as `slot`'s version: its dependencies first, then attached to the agent. */
  private async start(
    slot: Slot,
    version: { chosen: Chosen; stamp: string },
    op: Operation,
    via: readonly string[],
  ): Promise<void> {
    const { chosen, stamp } = version;
    const { name } = slot;
    const { version: v } = chosen.manifest;
    const wiring = await this.wire(chosen, op, [...via, name]);
    if ('blocked' in wiring) {
      this.block(slot, wiring.blocked);
      op.failed.set(name, wiring.blocked);
      throw new LoaderError(`${name} cannot be loaded: ${wiring.blocked}`, 409);
    }
    slot.state = 'loading';
    this.events.emit('loading', { name, version: v });
    try {
      const plugin = await this.make(chosen, wiring.dependencies);
      await this.options.agent.attach({ name, plugin, path: `loader:${chosen.dir}` });
    } catch (err) {
      const reason = toError(err).message;
      slot.state = 'failed';
      slot.reason = reason;
      op.failed.set(name, `${name}@${v} failed to load: ${reason}`);
      this.counts.failures += 1;
      this.events.emit('failed', { name, version: v, reason });
      throw new LoaderError(`${name}@${v} failed to load: ${reason}`, 500);
    }
    slot.state = 'loaded';
    slot.reason = undefined;
    slot.running = { chosen, stamp, requires: wiring.requires, uses: wiring.uses };
    slot.last = v;
    this.counts.loaded += 1;
    this.events.emit('loaded', { name, version: v });
  }

  /**
   * The plugins a version needs, loaded first when they are not: each required
   * one must be static or a loader plugin in range; an optional one is handed
   * over only when it is static or loaded in range.
   */
  private async wire(chosen: Chosen, op: Operation, via: readonly string[]): Promise<Wiring> {
    const { dependencies, optionalDependencies } = chosen.manifest;
    const named = [...Object.keys(dependencies), ...Object.keys(optionalDependencies)];
    const requires = new Map<string, string>();
    const uses = new Set<string>();
    const handed = Object.create(null) as Record<string, unknown>;
    if (named.length === 0) return { dependencies: handed, requires, uses };
    const statics = this.statics(op);
    for (const [dep, range] of Object.entries(dependencies)) {
      if (statics.has(dep)) continue;
      const blocked = await this.meet(dep, range, op, via, false);
      if (blocked !== undefined) return { blocked };
      requires.set(dep, range);
      uses.add(dep);
    }
    for (const [dep, range] of Object.entries(optionalDependencies)) {
      if (!statics.has(dep) && (await this.meet(dep, range, op, via, true)) === undefined) {
        uses.add(dep);
      }
    }
    const container = this.options.agent.container;
    for (const dep of named) {
      if ((statics.has(dep) || uses.has(dep)) && container.isBound(dep)) {
        handed[dep] = container.get(dep);
      }
    }
    return { dependencies: handed, requires, uses };
  }

  /** Loads dependency `dep` in `range` unless it runs; why it cannot be had, or undefined. */
  private async meet(
    dep: string,
    range: string,
    op: Operation,
    via: readonly string[],
    optional: boolean,
  ): Promise<string | undefined> {
    const slot = await this.slotFor(dep, op);
    const wanted = `${dep}@${range}`;
    if (slot?.running) {
      const { version } = slot.running.chosen.manifest;
      return semver.satisfies(version, range)
        ? undefined
        : `requires ${wanted}, but ${dep}@${version} is loaded`;
    }
    if (!slot?.chosen) return `requires ${wanted}, which is not available`;
    const { version } = slot.chosen.manifest;
    if (!semver.satisfies(version, range)) {
      if (!optional) this.counts.versionConflicts += 1;
      return `requires ${wanted}, but ${dep}@${version} was chosen`;
    }
    if (via.includes(dep)) {
      return `dependency cycle: ${[...via.slice(via.indexOf(dep)), dep].join(' -> ')}`;
    }
    const failed = op.failed.get(dep);
    if (failed !== undefined) return `requires ${dep}, which cannot be loaded: ${failed}`;
    try {
      await this.start(slot, { chosen: slot.chosen, stamp: slot.stamp! }, op, via);
      return undefined;
    } catch (err) {
      return `requires ${dep}, which cannot be loaded: ${op.failed.get(dep) ?? toError(err).message}`;
    }
  }

  private async unloadOne(name: string, force: boolean): Promise<void> {
    const slot = this.slots.get(name);
    if (!slot) throw new LoaderError(`no plugin called "${name}" was discovered`, 404);
    if (!slot.running) throw new LoaderError(`${name} is not loaded`, 409);
    const dependents = this.loadedDependents(name);
    if (dependents.length > 0 && !force) {
      throw new LoaderError(
        `${name} is required by loaded ${dependents.join(', ')}: unload them first, or force`,
        409,
      );
    }
    for (const dependent of [...dependents].reverse()) await this.unloadOne(dependent, true);
    const { version } = slot.running.chosen.manifest;
    slot.state = 'unloading';
    this.events.emit('unloading', { name, version });
    try {
      await this.options.agent.detach(name);
    } finally {
      slot.state = 'unloaded';
      slot.running = undefined;
      slot.reason = undefined;
      this.counts.unloaded += 1;
      this.events.emit('unloaded', { name, version });
    }
  }

  private async reloadOne(name: string, op: Operation): Promise<void> {
    const slot = await this.slotFor(name, op);
    if (!slot) throw new LoaderError(`no plugin called "${name}" was discovered`, 404);
    if (!slot.running) return this.loadOne(name, op);
    const running = slot.running;
    const from = running.chosen.manifest.version;
    const chosen = slot.chosen;
    const refuse = (reason: string, version?: string): never => {
      slot.reason = `reload refused: ${reason}`;
      this.events.emit('reloadRefused', { name, version, running: from, reason });
      throw new LoaderError(`${name}: ${reason}; ${from} keeps serving`, 409);
    };
    if (!chosen) return refuse(`no loadable version any more (${this.unavailable(name)})`);
    const to = chosen.manifest.version;
    const dependents = this.loadedDependents(name);
    for (const dependent of dependents) {
      const range = this.slots.get(dependent)!.running!.requires.get(name);
      if (range !== undefined && !semver.satisfies(to, range)) {
        refuse(`${name}@${to} is outside ${range}, which loaded ${dependent} requires`, to);
      }
    }
    const wiring = await this.wire(chosen, op, [name]);
    if ('blocked' in wiring) return refuse(wiring.blocked, to);
    const loop = dependents.find((d) => wiring.uses.has(d));
    if (loop) refuse(`dependency cycle: ${name} -> ${loop} -> ${name}`, to);
    const again = dependents.map((d) => [this.slots.get(d)!, this.slots.get(d)!.running!] as const);
    for (const dependent of [...dependents].reverse()) await this.unloadOne(dependent, true);
    try {
      const plugin = await this.make(chosen, wiring.dependencies);
      await this.options.agent.replace(name, plugin);
      slot.running = { chosen, stamp: slot.stamp!, requires: wiring.requires, uses: wiring.uses };
      slot.last = to;
      slot.reason = undefined;
      this.events.emit('reloaded', { name, from, to });
    } catch (err) {
      const reason = toError(err).message;
      this.counts.failures += 1;
      slot.reason = `reload to ${to} failed: ${reason}`;
      this.events.emit('failed', { name, version: to, running: from, reason });
      throw new LoaderError(`${name}@${to} failed; ${from} keeps serving: ${reason}`, 500);
    } finally {
      const rewire = operation(false);
      for (const [dependent, was] of again) {
        await this.start(dependent, was, rewire, []).catch(() => undefined);
      }
    }
  }

  /**
   * Applies what changed in the directory: new plugins load, changed ones
   * reload, gone ones unload. Reads the `changed` sub-folders and new ones, or
   * everything when `changed` is undefined.
   */
  private async sync(changed: Set<string> | undefined): Promise<void> {
    if (changed) {
      const read = await this.folders.refresh(changed);
      this.emitRefused(read);
      for (const name of read.names) await this.choose(name);
      this.resolve();
    } else {
      await this.scan();
    }
    // a plugin that no folder holds any more unloads; one whose versions fail the
    // checks or sit in two folders keeps running, and its reload is refused with the reason
    for (const name of [...this.slots.keys()].reverse()) {
      const held = this.folders.candidates(name).length + this.folders.duplicatesOf(name).length;
      if (this.slots.get(name)!.running && held === 0) {
        await this.unloadOne(name, true).catch(() => undefined);
      }
    }
    const op = operation(false);
    for (const name of this.order) {
      const slot = this.slots.get(name)!;
      if (!slot.running) {
        if (slot.state !== 'blocked') await this.loadOne(name, op).catch(() => undefined);
      } else if (slot.stamp !== slot.running.stamp) {
        await this.reloadOne(name, op).catch(() => undefined);
      }
    }
  }

  private async make(chosen: Chosen, dependencies: Record<string, unknown>): Promise<Plugin> {
    const { manifest } = chosen;
    const agent = this.options.agent;
    const host: HostHandle = {
      ...this.host(),
      name: manifest.name,
      version: manifest.version,
      plugin: <T>(name: string) => agent.container.get<T>(name),
      dependencies,
    };
    return chosen.factory(host);
  }

  /** Why `name` has no version to load. */
  private unavailable(name: string): string {
    const twice = this.folders.duplicatesOf(name)[0];
    if (this.folders.candidates(name).length > 0) return 'no version passed the checks';
    return twice ? twice.reason : 'no longer in the plugins directory';
  }

  private emitRefused({ refused }: Reread): void {
    for (const r of refused) this.events.emit('refused', r);
  }

  private block(slot: Slot, reason: string): void {
    slot.state = 'blocked';
    slot.reason = reason;
    this.events.emit('blocked', { name: slot.name, reason });
  }

  /** The agent's own plugins, not the loader's: they satisfy any range. */
  private statics(op: Operation): Set<string> {
    op.statics ??= new Set(
      this.options.agent.plugins
        .map((p) => p.name)
        .filter((name) => !this.slots.get(name)?.running),
    );
    return op.statics;
  }

  /** Loaded plugins handed `name`, directly or through others, in load order. */
  private loadedDependents(name: string): string[] {
    const found = new Set<string>([name]);
    for (let grew = true; grew;) {
      grew = false;
      for (const slot of this.slots.values()) {
        if (found.has(slot.name) || !slot.running) continue;
        if ([...slot.running.uses].some((d) => found.has(d))) {
          found.add(slot.name);
          grew = true;
        }
      }
    }
    found.delete(name);
    if (found.size === 0) return [];
    const loadOrder = this.options.agent.plugins.map((p) => p.name);
    return loadOrder.filter((n) => found.has(n));
  }
}
