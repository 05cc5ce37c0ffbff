import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestError } from '../errors.js';
import { MANIFEST, readManifest } from './manifest.js';
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

/** Scans `dir` for sub-folders holding a `plugin.json`; a bad manifest never stops the scan. */
export async function discoverPlugins(dir: string): Promise<Discovery> {
  const byName = new Map<string, Candidate[]>();
  const refused: Refused[] = [];
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (err) {
    throw new Error(`the plugins directory ${dir} cannot be read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  for (const entry of entries) {
    const folder = join(dir, entry);
    const isPluginFolder = await stat(join(folder, MANIFEST)).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!isPluginFolder) continue;
    try {
      const manifest = await readManifest(folder);
      const list = byName.get(manifest.name) ?? [];
      list.push({ dir: folder, manifest });
      byName.set(manifest.name, list);
    } catch (err) {
      const reason = err instanceof ManifestError ? err.reason : `unreadable: ${String(err)}`;
      refused.push({ dir: folder, reason });
    }
  }
  return { byName, refused };
}
