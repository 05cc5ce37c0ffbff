import type { AgentView, Plugin } from '../plugin.js';

/** The version of flavorkit's plugin API; a manifest's `host` range must accept it. */
export const PLUGIN_API_VERSION = '1.0.0';

/** What a plugin module's `isAcceptable` sees: the host, before the plugin is made. */
export interface HostInfo {
  apiVersion: string;
  agent: AgentView;
}

/** What a plugin module's factory receives. */
export interface HostHandle extends HostInfo {
  /** The plugin's own name and version. */
  name: string;
  version: string;
  /** Any plugin of the agent, static or loaded, by name. */
  plugin<T = Plugin>(name: string): T;
  /** The plugins named in the manifest's dependencies (and optional ones present), by name. */
  dependencies: Record<string, unknown>;
}

/** What a plugin's `main` module exports. */
export interface PluginModule {
  /** Makes the plugin; may also be the default export. */
  createPlugin(host: HostHandle): Plugin | Promise<Plugin>;
  /** Lets a version refuse itself at run time, e.g. when a system capability is missing. */
  isAcceptable?(host: HostInfo): boolean | Promise<boolean>;
}
