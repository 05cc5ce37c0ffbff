import { type ConfigClass, loadConfig, redacted } from './config/load.js';
import { describeSettings, type SettingDescription } from './config/describe.js';
import { envSegment } from './config/names.js';
import { controllerOf, type Entry } from './entry.js';
import { ConfigError } from './errors.js';
import type { Events } from './events.js';
import type { Logger } from './logging/logger.js';
import type { LogRegistry } from './logging/registry.js';
import type { AgentView, InitContext, Plugin } from './plugin.js';

/** Where the plugins' configuration comes from. */
export interface ConfigSettings {
  /** The agent's name: the prefix of environment variables. */
  agent: string;
  env: Record<string, string | undefined>;
  configDir?: string | undefined;
  /** Values given in code, per plugin name. */
  values?: Record<string, Record<string, unknown>> | undefined;
}

/**
 * The plugin contexts of one agent and the configuration they hand out:
 * loaded from every source on first use, validated, kept for the current start.
 */
export class PluginContexts {
  constructor(
    private readonly agent: AgentView,
    private readonly logs: LogRegistry,
    private readonly events: Events,
    private readonly settings: ConfigSettings,
  ) {}

  /** The `InitContext` of a plugin, made once. */
  contextOf(entry: Entry): InitContext {
    entry.ctx ??= new PluginContext(this, entry);
    return entry.ctx;
  }

  /** The agent a context shows. */
  get view(): AgentView {
    return this.agent;
  }

  /** The logger named after a plugin. */
  loggerOf(entry: Entry): Logger {
    return this.logs.logger(entry.name);
  }

  /** A plugin's configuration from every source; a `ConfigError` lists every bad setting. */
  configOf<T extends object>(entry: Entry, cls: ConfigClass<T>): T {
    const cached = entry.configs?.get(cls);
    if (cached) return cached as T;
    const { agent, env, configDir, values } = this.settings;
    const config = loadConfig(cls, {
      agent,
      plugin: entry.name,
      dir: configDir ?? env[`${envSegment(agent)}_CONFIG_DIR`],
      env,
      values: values?.[entry.name],
    });
    if (this.events.hears.configured) {
      this.events.emit('configured', { plugin: entry.name, config: redacted(cls, config) });
    }
    (entry.configs ??= new Map()).set(cls, config);
    return config;
  }

  /** Validates every declared configuration before any `init`, so bad settings stop start-up early. */
  validateDeclared(entries: readonly Entry[]): void {
    const failed: ConfigError[] = [];
    for (const entry of entries) {
      const cls = configClassOf(entry.plugin);
      if (!cls) continue;
      try {
        this.configOf(entry, cls);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        if (!entry.optional) failed.push(err);
      }
    }
    // one error that lists every bad setting of every plugin
    if (failed.length === 1) throw failed[0]!;
    if (failed.length > 1) {
      throw new ConfigError(
        failed[0]!.plugin ?? 'agent',
        failed.flatMap((e) => e.issues),
      );
    }
  }

  /** Every setting of every plugin that declares `static configClass`. */
  describe(entries: readonly Entry[]): SettingDescription[] {
    return entries.flatMap((e) => {
      const cls = configClassOf(e.plugin);
      return cls ? describeSettings(cls, this.settings.agent, e.name) : [];
    });
  }
}

/** The `InitContext` of one plugin; its logger and signal are made on first use. */
export class PluginContext implements InitContext {
  constructor(
    private readonly host: PluginContexts,
    private readonly entry: Entry,
  ) {}

  get name(): string {
    return this.entry.name;
  }

  get agent(): AgentView {
    return this.host.view;
  }

  get log(): Logger {
    return this.host.loggerOf(this.entry);
  }

  get signal(): AbortSignal {
    return controllerOf(this.entry).signal;
  }

  config<T extends object>(cls: ConfigClass<T>): T {
    return this.host.configOf(this.entry, cls);
  }
}

function configClassOf(plugin: Plugin): ConfigClass | undefined {
  return (plugin.constructor as { configClass?: ConfigClass }).configClass;
}
