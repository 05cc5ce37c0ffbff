export { PLUGIN_API_VERSION } from './host.js';
export type { HostHandle, HostInfo, PluginModule } from './host.js';
export { hashPluginFolder } from './integrity.js';
export { LoaderError, ManifestError } from '../errors.js';
export { checkManifest, MANIFEST, readManifest } from './manifest.js';
export type { Manifest } from './manifest.js';
export { PluginLoader } from './loader.js';
export type {
  LoadState,
  LoaderCounts,
  LoaderEvents,
  LoaderListing,
  LoaderOptions,
} from './loader.js';
export type { Skipped } from './select.js';
export type { Refused } from './discover.js';
