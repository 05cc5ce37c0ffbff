import type { Container } from 'inversify';
import type { AgentEventName, AgentListener } from './events.js';
import type { Logger } from './logging/logger.js';
import type { AgentStatus, PluginInfo, PlugOptions } from './vocabulary.js';

export type { Phase } from './vocabulary.js';

/** What a plugin can see of the agent running it. */
export interface AgentView {
  readonly name: string;
  /** The service label: `AgentOptions.label`, env `MICROSERVICE_LABEL`, or the name. */
  readonly label: string;
  /** The plugins in start order, with their states and timings. */
  readonly plugins: PluginInfo[];
  status(): AgentStatus;
  on<E extends AgentEventName>(event: E, listener: AgentListener<E>): () => void;
  /** The InversifyJS container with every plugin bound by name. */
  readonly container: Container;
  /** Adds a plugin to the running agent and starts it; see `Agent.attach`. */
  attach(item: NamedPlugin): Promise<void>;
  /** Starts a plugin in place of another; see `Agent.replace`. */
  replace(name: string, plugin: Plugin): Promise<void>;
  /** Stops and removes a plugin; see `Agent.detach`. */
  detach(name: string): Promise<void>;
}

/** What the agent hands a plugin in `init` and `afterInit`. */
export interface InitContext {
  /** The plugin's name in the agent (field name or `@Plug({ name })`). */
  readonly name: string;
  /** The agent running the plugin. */
  readonly agent: AgentView;
  /** A logger named after the plugin. */
  readonly log: Logger;
  /** Aborts when the plugin's time limit passes or the agent starts stopping. */
  readonly signal: AbortSignal;
  /** The plugin's validated configuration, read from defaults, file, environment and code. */
  config<T extends object>(cls: new () => T): T;
}

/**
 * A unit of a service with a lifecycle. `init`/`close` and `afterInit`/`beforeClose`
 * are mirror pairs: the agent stops serving everywhere before it releases anything.
 */
export interface Plugin {
  /** Connect, allocate, register. */
  init(ctx: InitContext): void | Promise<void>;
  /** Every plugin is initialised: start serving. */
  afterInit?(ctx: InitContext): void | Promise<void>;
  /** Stop taking work and drain. */
  beforeClose?(): void | Promise<void>;
  /** Release what `init` took. */
  close?(): void | Promise<void>;
}

/** A plugin given to the agent directly, with its name and options. */
export interface NamedPlugin extends PlugOptions {
  name: string;
  plugin: Plugin;
  /** Where it came from, shown in errors and `agent.plugins`; default its list index. */
  path?: string | undefined;
}

/** True when `value` looks like a plugin: an object with an `init` method. */
export function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { init?: unknown }).init === 'function'
  );
}
