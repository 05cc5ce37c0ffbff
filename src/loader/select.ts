import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { messageOf } from '../errors.js';
import { withTimeout } from '../limits.js';
import { isPlugin } from '../plugin.js';
import type { HostInfo, PluginModule } from './host.js';
import { integrityMismatch } from './integrity.js';
import type { Manifest } from './manifest.js';

/** One version of a plugin found on disk. */
export interface Candidate {
  dir: string;
  manifest: Manifest;
}

/** A version that passed every check, with its module. */
export interface Chosen extends Candidate {
  factory: PluginModule['createPlugin'];
}

/** A version that was passed over, and why. */
export interface Skipped {
  version: string;
  dir: string;
  reason: string;
}

/** What to check a candidate against. */
export interface SelectOptions {
  host: HostInfo;
  /** Refuse versions whose manifest has no integrity field. */
  requireIntegrity: boolean;
  /** Added to the module URL so that a changed file is imported afresh. */
  cacheKey: string;
  /** Ms that the import, `isAcceptable` and `createPlugin` each get. */
  timeoutMs: number;
}

/** Settles as `pending` does, or rejects with "timed out in <step>" after the loader's limit. */
function limited<T>(pending: PromiseLike<T> | T, step: string, ms: number): Promise<T> {
  return withTimeout(
    Promise.resolve(pending),
    ms,
    () => new Error(`timed out in ${step} after ${ms} ms`),
  );
}

/**
 * Tries the versions of one plugin newest first: host API range, integrity,
 * import, export shape, `isAcceptable`. The first that passes wins; each one
 * passed over keeps its reason.
 */
export async function selectVersion(
  candidates: Candidate[],
  options: SelectOptions,
): Promise<{ chosen?: Chosen; skipped: Skipped[] }> {
  const skipped: Skipped[] = [];
  const sorted = [...candidates].sort((a, b) =>
    semver.rcompare(a.manifest.version, b.manifest.version),
  );
  for (const candidate of sorted) {
    const reason = await refusal(candidate, options);
    if (typeof reason === 'string') {
      skipped.push({ version: candidate.manifest.version, dir: candidate.dir, reason });
      continue;
    }
    return { chosen: { ...candidate, factory: reason }, skipped };
  }
  return { skipped };
}

/** Why a candidate cannot be used, or its factory when it can. */
async function refusal(
  { dir, manifest }: Candidate,
  options: SelectOptions,
): Promise<string | PluginModule['createPlugin']> {
  if (!semver.satisfies(options.host.apiVersion, manifest.host)) {
    return `needs host API ${manifest.host}; this host has ${options.host.apiVersion}`;
  }
  if (!manifest.integrity && options.requireIntegrity) {
    return 'has no integrity field, and this loader requires one';
  }
  const mismatch = await integrityMismatch(dir, manifest);
  if (mismatch) return mismatch;
  let mod: Partial<PluginModule> & { default?: unknown };
  try {
    const url = pathToFileURL(await realpath(join(dir, manifest.main)));
    url.search = `v=${encodeURIComponent(options.cacheKey)}`;
    mod = (await limited(import(url.href), 'import', options.timeoutMs)) as typeof mod;
  } catch (err) {
    return `import of ${manifest.main} failed: ${messageOf(err)}`;
  }
  const factory = mod.createPlugin ?? mod.default;
  if (typeof factory !== 'function') {
    return `${manifest.main} exports no createPlugin function (named or default)`;
  }
  if (mod.isAcceptable !== undefined) {
    if (typeof mod.isAcceptable !== 'function')
      return 'isAcceptable is exported but not a function';
    try {
      const accepted = await limited(
        mod.isAcceptable(options.host),
        'isAcceptable',
        options.timeoutMs,
      );
      if (!accepted) return 'refused itself: isAcceptable() returned false';
    } catch (err) {
      return `refused itself: isAcceptable() failed: ${messageOf(err)}`;
    }
  }
  return async (host) => {
    const create = factory as PluginModule['createPlugin'];
    const plugin = await limited(
      new Promise<unknown>((resolve) => resolve(create(host))),
      'createPlugin',
      options.timeoutMs,
    );
    if (!isPlugin(plugin))
      throw new Error(
        `createPlugin of ${manifest.name}@${manifest.version} returned no plugin (an object with init)`,
      );
    return plugin;
  };
}
