import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError } from '../errors.js';
import { type Manifest, MANIFEST, readManifest } from './manifest.js';
import type { Candidate } from './select.js';

/** A folder whose manifest was refused. */
export interface Refused {
  dir: string;
  reason: string;
}

/** Every plugin version in a directory: one sub-folder each, grouped by name. */
export interface Discovery {
  byName: Map<string, Candidate[]>;
  refused: Refused[];
}

/** What a read found: the folders refused, and the plugins whose folders changed. */
export interface Reread {
  refused: Refused[];
  names: Set<string>;
}

/** What one sub-folder holds: a manifest, or the reason it was refused. */
type Folder = { dir: string; manifest: Manifest } | { dir: string; reason: string };

/** Folders read at once. */
const READ_AT_ONCE = 32;

/**
 * The plugin folders of a directory, read once and then kept up to date piece
 * by piece: `scanAll` reads every folder, `refresh` only the folders that
 * appeared (and those refused before), `rereadPlugin` only one plugin's folders.
 */
export class PluginFolders {
  /** By sub-folder name. */
  private readonly folders = new Map<string, Folder>();
  /** Plugin name to the sub-folders holding one of its versions. */
  private readonly byName = new Map<string, Set<string>>();

  constructor(readonly dir: string) {}

  /** Reads every sub-folder again; returns the folders refused. */
  async scanAll(): Promise<Refused[]> {
    const entries = await this.entries();
    this.folders.clear();
    this.byName.clear();
    await this.reread(entries);
    return this.refused();
  }

  /**
   * Reads the sub-folders that appeared since the last read, those refused
   * before and those in `changed`, and forgets the ones that are gone. Other
   * folders already read are not read again.
   */
  async refresh(changed: ReadonlySet<string> = new Set()): Promise<Reread> {
    const entries = await this.entries();
    const present = new Set(entries);
    const names = new Set<string>();
    for (const entry of [...this.folders.keys()]) {
      if (!present.has(entry)) this.forget(entry, names);
    }
    const due = entries.filter((e) => {
      const folder = this.folders.get(e);
      return !folder || 'reason' in folder || changed.has(e);
    });
    return this.reread(due, names);
  }

  /** Reads the folders of plugin `name` again: a manifest may have changed in place. */
  rereadPlugin(name: string): Promise<Reread> {
    return this.reread([...(this.byName.get(name) ?? [])]);
  }

  /** Reads the given sub-folders again (forgetting those that are gone). */
  private async reread(entries: string[], names = new Set<string>()): Promise<Reread> {
    const refused: Refused[] = [];
    for (let i = 0; i < entries.length; i += READ_AT_ONCE) {
      const batch = entries.slice(i, i + READ_AT_ONCE);
      const folders = await Promise.all(batch.map((e) => readFolder(join(this.dir, e))));
      batch.forEach((entry, j) => {
        this.forget(entry, names);
        const folder = folders[j];
        if (!folder) return;
        this.folders.set(entry, folder);
        if ('reason' in folder) {
          refused.push({ dir: folder.dir, reason: folder.reason });
          return;
        }
        const held = this.byName.get(folder.manifest.name) ?? new Set<string>();
        this.byName.set(folder.manifest.name, held.add(entry));
        names.add(folder.manifest.name);
      });
    }
    return { refused, names };
  }

  /** The plugin names with at least one readable folder, sorted. */
  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** The versions of `name` on disk, each in one folder; a version found in two folders is left out. */
  candidates(name: string): Candidate[] {
    return this.versionsOf(name)
      .filter((folders) => folders.length === 1)
      .map(([only]) => only!);
  }

  /** The folders of `name` refused because another folder holds the same version. */
  duplicatesOf(name: string): Refused[] {
    return this.versionsOf(name)
      .filter((folders) => folders.length > 1)
      .flatMap((folders) => {
        const { name: plugin, version } = folders[0]!.manifest;
        const dirs = folders.map((f) => f.dir).join(' and ');
        const reason = `${plugin}@${version} is in more than one folder (${dirs}): keep one of them`;
        return folders.map(({ dir }) => ({ dir, reason }));
      });
  }

  /** Every folder refused: bad manifests and versions found twice, by folder. */
  refused(): Refused[] {
    const refused: Refused[] = [];
    for (const folder of this.folders.values()) {
      if ('reason' in folder) refused.push({ dir: folder.dir, reason: folder.reason });
    }
    for (const name of this.byName.keys()) refused.push(...this.duplicatesOf(name));
    return refused.sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  }

  /** The folders of `name` grouped by version, in folder order. */
  private versionsOf(name: string): Candidate[][] {
    const byVersion = new Map<string, Candidate[]>();
    for (const entry of [...(this.byName.get(name) ?? [])].sort()) {
      const folder = this.folders.get(entry);
      if (!folder || 'reason' in folder) continue;
      const same = byVersion.get(folder.manifest.version) ?? [];
      same.push(folder);
      byVersion.set(folder.manifest.version, same);
    }
    return [...byVersion.values()];
  }

  private async entries(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).sort();
    } catch (err) {
      throw new Error(
        `the plugins directory ${this.dir} cannot be read: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Drops what is known of a sub-folder; adds the plugin it held to `names`. */
  private forget(entry: string, names: Set<string>): void {
    const folder = this.folders.get(entry);
    if (!folder) return;
    this.folders.delete(entry);
    if ('manifest' in folder) {
      names.add(folder.manifest.name);
      const held = this.byName.get(folder.manifest.name);
      held?.delete(entry);
      if (held?.size === 0) this.byName.delete(folder.manifest.name);
    }
  }
}

/** A sub-folder's manifest or refusal; undefined when it holds no `plugin.json`. */
async function readFolder(dir: string): Promise<Folder | undefined> {
  const isPluginFolder = await stat(join(dir, MANIFEST)).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!isPluginFolder) return undefined;
  try {
    return { dir, manifest: await readManifest(dir) };
  } catch (err) {
    return {
      dir,
      reason: err instanceof ManifestError ? err.reason : `unreadable: ${String(err)}`,
    };
  }
}

/** Scans `dir` for sub-folders holding a `plugin.json`; a bad manifest never stops the scan. */
export async function discoverPlugins(dir: string): Promise<Discovery> {
  const folders = new PluginFolders(dir);
  const refused = await folders.scanAll();
  return {
    byName: new Map(folders.names().map((name) => [name, folders.candidates(name)])),
    refused,
  };
}
