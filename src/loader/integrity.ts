import { createHash } from 'node:crypto';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { type Manifest, MANIFEST } from './manifest.js';

/**
 * The integrity of a plugin folder: `sha256-<base64>` over every file but
 * `plugin.json`, sorted by relative path, each as path + "\0" + bytes (a
 * symbolic link as path + "\0" + its target).
 */
export async function hashPluginFolder(dir: string): Promise<string> {
  const files = (await listFiles(dir)).filter((f) => f.path !== MANIFEST);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file.path);
    hash.update('\0');
    hash.update(file.link ? await readlink(file.abs) : await readFile(file.abs));
  }
  return `sha256-${hash.digest('base64')}`;
}

async function listFiles(
  root: string,
  dir = root,
): Promise<Array<{ path: string; abs: string; link: boolean }>> {
  const out: Array<{ path: string; abs: string; link: boolean }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    const path = relative(root, abs).split(sep).join(posix.sep);
    if (entry.isDirectory()) out.push(...(await listFiles(root, abs)));
    else if (entry.isFile() || entry.isSymbolicLink()) {
      out.push({ path, abs, link: entry.isSymbolicLink() });
    }
  }
  return out;
}

/** Why a folder's files do not match its manifest's integrity, or undefined when they do (or it has none). */
export async function integrityMismatch(
  dir: string,
  manifest: Manifest,
): Promise<string | undefined> {
  if (!manifest.integrity) return undefined;
  const actual = await hashPluginFolder(dir);
  return actual === manifest.integrity
    ? undefined
    : `integrity mismatch: plugin.json says ${manifest.integrity}, the files hash to ${actual}`;
}
