import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import semver from 'semver';
import { ManifestError } from '../errors.js';

/** A plugin version's `plugin.json`. */
export interface Manifest {
  name: string;
  version: string;
  /** Semver range of flavorkit's plugin API the plugin supports. */
  host: string;
  /** The compiled ESM module, relative to the plugin's folder. */
  main: string;
  /** Plugin name to semver range: must be loaded first (an object without prototype). */
  dependencies: Record<string, string>;
  /** Plugin name to semver range: used when present and in range (an object without prototype). */
  optionalDependencies: Record<string, string>;
  /** `sha256-<base64>` over the folder's files; see `hashPluginFolder`. */
  integrity?: string | undefined;
  description?: string | undefined;
}

/** The manifest's file name. */
export const MANIFEST = 'plugin.json';
/** Largest manifest read, in bytes. */
export const MAX_MANIFEST_BYTES = 64 * 1024;
/** Lower-case letters, digits and dashes, starting with a letter, at most 64 characters. */
export const NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const INTEGRITY_PATTERN = /^sha256-[A-Za-z0-9+/]{43}=$/;
const KEYS = new Set([
  'name',
  'version',
  'host',
  'main',
  'dependencies',
  'optionalDependencies',
  'integrity',
  'description',
]);

/** Reads and checks `<dir>/plugin.json`; throws `ManifestError` with the reason. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = join(dir, MANIFEST);
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new ManifestError(`${file} cannot be read`);
  }
  if (size > MAX_MANIFEST_BYTES) {
    throw new ManifestError(`${file} is ${size} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ManifestError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
  const manifest = checkManifest(data);
  await checkMain(dir, manifest.main);
  return manifest;
}

/** Checks the shape of a parsed manifest; throws `ManifestError` naming the first bad field. */
export function checkManifest(data: unknown): Manifest {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ManifestError('the manifest must be a JSON object');
  }
  const m = data as Record<string, unknown>;
  const unknown = Object.keys(m).filter((k) => !KEYS.has(k));
  if (unknown.length > 0) throw new ManifestError(`unknown keys: ${unknown.join(', ')}`);
  const name = text(m, 'name');
  if (!NAME_PATTERN.test(name)) {
    throw new ManifestError(`name "${name}" must match ${NAME_PATTERN.source}`);
  }
  const version = text(m, 'version');
  if (semver.valid(version) !== version) {
    throw new ManifestError(`version "${version}" is not a semantic version like 1.2.3`);
  }
  const host = text(m, 'host');
  if (semver.validRange(host) === null) {
    throw new ManifestError(`host "${host}" is not a semver range`);
  }
  const main = text(m, 'main');
  if (isAbsolute(main) || !/\.m?js$/.test(main)) {
    throw new ManifestError(`main "${main}" must be a relative path to a .js or .mjs module`);
  }
  const dependencies = ranges(m, 'dependencies', name);
  const optionalDependencies = ranges(m, 'optionalDependencies', name);
  const both = Object.keys(dependencies).filter((d) => Object.hasOwn(optionalDependencies, d));
  if (both.length > 0) {
    throw new ManifestError(`${both.join(', ')} cannot be both required and optional`);
  }
  const manifest: Manifest = { name, version, host, main, dependencies, optionalDependencies };
  if (m.integrity !== undefined) {
    const integrity = text(m, 'integrity');
    if (!INTEGRITY_PATTERN.test(integrity)) {
      throw new ManifestError('integrity must be "sha256-" and 44 characters of base64');
    }
    manifest.integrity = integrity;
  }
  if (m.description !== undefined) {
    const description = text(m, 'description');
    if (description.length > 1000) throw new ManifestError('description is over 1000 characters');
    manifest.description = description;
  }
  return manifest;
}

/** Refuses a `main` that resolves, symbolic links included, outside the plugin's folder. */
async function checkMain(dir: string, main: string): Promise<void> {
  const root = await realpath(dir);
  let target: string;
  try {
    target = await realpath(join(root, main));
  } catch {
    throw new ManifestError(`main "${main}" does not exist`);
  }
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new ManifestError(`main "${main}" resolves outside the plugin folder (${target})`);
  }
}

function text(m: Record<string, unknown>, key: string): string {
  const value = m[key];
  if (typeof value !== 'string' || value === '') {
    throw new ManifestError(`${key} must be a non-empty string`);
  }
  return value;
}

function ranges(m: Record<string, unknown>, key: string, self: string): Record<string, string> {
  const value = m[key] ?? {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ManifestError(`${key} must be an object of plugin names to semver ranges`);
  }
  // no prototype: a plugin may be called `constructor`
  const out = Object.create(null) as Record<string, string>;
  for (const [dep, range] of Object.entries(value)) {
    if (!NAME_PATTERN.test(dep)) throw new ManifestError(`${key}: "${dep}" is not a plugin name`);
    if (dep === self) throw new ManifestError(`${key}: a plugin cannot depend on itself`);
    if (typeof range !== 'string' || semver.validRange(range) === null) {
      throw new ManifestError(`${key}.${dep}: "${String(range)}" is not a semver range`);
    }
    out[dep] = range;
  }
  return out;
}
