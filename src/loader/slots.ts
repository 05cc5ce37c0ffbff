import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Chosen, Skipped } from './select.js';

/**
 * Where a plugin is in the loader's hands: `blocked` when its dependencies
 * cannot be met (missing, out of range, a cycle, or failed to load), `failed`
 * when no version passed the checks or its own start failed.
 */
export type LoadState =
  'discovered' | 'loading' | 'loaded' | 'blocked' | 'failed' | 'unloading' | 'unloaded';

/** One plugin as the loader lists it. */
export interface LoaderListing {
  name: string;
  /** The running version; once unloaded, the version that ran; otherwise the chosen one. */
  version?: string | undefined;
  state: LoadState;
  /** Why it is not loaded (blocked, failed), or why a reload was not taken. */
  reason?: string | undefined;
  /** Versions passed over, newest first, each with its reason. */
  skipped: Skipped[];
}

/** A version running in the agent and what it was wired to. */
export interface Running {
  chosen: Chosen;
  stamp: string;
  /** Loader plugins it requires, with the range it asks for. */
  requires: Map<string, string>;
  /** Loader plugins handed over to it, required and optional. */
  uses: Set<string>;
}

/** What the loader knows of one plugin: its versions on disk, the chosen one, the running one. */
export interface Slot {
  name: string;
  state: LoadState;
  chosen?: Chosen | undefined;
  /** The chosen version's folder and modification time, to notice a changed version. */
  stamp?: string | undefined;
  skipped: Skipped[];
  reason?: string | undefined;
  running?: Running | undefined;
  /** The version that ran last, listed once unloaded. */
  last?: string | undefined;
}

/** One operation's memory: what it read and tried already, so each is done once. */
export interface Operation {
  /** Re-read a plugin's folders before using it (load, reload); false after a full scan. */
  fresh: boolean;
  /** The directory's new folders were read. */
  refreshed?: boolean;
  /** Plugins whose folders were read again in this operation. */
  chosen: Set<string>;
  /** Plugins that failed to load in this operation, with the reason: not tried twice. */
  failed: Map<string, string>;
  /** The agent's own plugins (not the loader's), read once. */
  statics?: Set<string>;
}

/** A new operation's empty memory; `fresh`: read a plugin's folders again before using it. */
export function operation(fresh: boolean): Operation {
  return { fresh, chosen: new Set(), failed: new Map() };
}

/** The folder and the modification time of its main module: changes when a version is replaced. */
export async function stampOf(dir: string, main: string): Promise<string> {
  const mtime = await stat(join(dir, main)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return `${dir}@${mtime}`;
}

/** How `slot` is listed: the running version, once unloaded the one that ran, else the chosen one. */
export function listingOf(slot: Slot): LoaderListing {
  const version =
    slot.running?.chosen.manifest.version ??
    (slot.state === 'unloaded' ? slot.last : undefined) ??
    slot.chosen?.manifest.version;
  return {
    name: slot.name,
    version,
    state: slot.state,
    ...(slot.reason === undefined ? {} : { reason: slot.reason }),
    skipped: slot.skipped,
  };
}
