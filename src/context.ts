import type { ConfigClass } from './config/load.js';
import type { Entry } from './entry.js';
import type { Logger } from './logging/logger.js';
import type { LogRegistry } from './logging/registry.js';
import type { AgentView, InitContext } from './plugin.js';

/** What every `PluginContext` of one agent shares. */
export interface ContextHost {
  agent: AgentView;
  logs: LogRegistry;
  signalOf(entry: Entry): AbortSignal;
  configOf<T extends object>(entry: Entry, cls: ConfigClass<T>): T;
}

/** The `InitContext` of one plugin; its logger and signal are made on first use. */
export class PluginContext implements InitContext {
  constructor(
    private readonly host: ContextHost,
    private readonly entry: Entry,
  ) {}

  get name(): string {
    return this.entry.name;
  }

  get agent(): AgentView {
    return this.host.agent;
  }

  get log(): Logger {
    return this.host.logs.logger(this.entry.name);
  }

  get signal(): AbortSignal {
    return this.host.signalOf(this.entry);
  }

  config<T extends object>(cls: ConfigClass<T>): T {
    return this.host.configOf(this.entry, cls);
  }
}
