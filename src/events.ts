import type { PluginStopError } from './errors.js';
import type { Phase, PluginState, StartPhase } from './vocabulary.js';

/** The lifecycle events of an agent and their data. */
export interface AgentEvents {
  /** `start()` began. */
  starting: { agent: string };
  /** Every plugin is up; `degraded` when an optional one failed. */
  started: { agent: string; durationMs: number; degraded: boolean };
  /** A start failed with `error`; what started is being stopped in reverse. */
  rollingBack: { agent: string; error: Error };
  /** The failed start was rolled back; `errors` lists the stop calls that failed. */
  rolledBack: { agent: string; durationMs: number; errors: PluginStopError[] };
  /** `start()` failed and rolled back. */
  startFailed: { agent: string; durationMs: number; error: Error };
  /** `stop()` began. */
  stopping: { agent: string };
  /** Every plugin was closed; `errors` lists the calls that failed. */
  stopped: { agent: string; durationMs: number; errors: PluginStopError[] };
  /** A plugin's lifecycle call began. */
  phaseBegin: { plugin: string; phase: Phase };
  /** A plugin's lifecycle call ended, with its duration and error if it failed. */
  phaseEnd: { plugin: string; phase: Phase; durationMs: number; error?: Error };
  /** A plugin's state changed; `error` says why it failed or was skipped. */
  pluginState: { plugin: string; state: PluginState; optional: boolean; error?: string };
  /** A plugin failed to start; an optional one leaves the agent degraded, a critical one fails the start. */
  pluginFailed: { plugin: string; phase: StartPhase; optional: boolean; error: Error };
  /** An optional plugin was left out because a dependency failed or was skipped. */
  pluginSkipped: { plugin: string; because: string };
  /** A plugin's configuration was loaded; `config` has its secrets redacted. */
  configured: { plugin: string; config: Record<string, unknown> };
  /** A listener of `event` threw `error`; the others were still called. */
  listenerFailed: { event: string; error: Error };
  /** A plugin added at run time was taken out of the agent (detached, or failed to start). */
  pluginRemoved: { plugin: string };
  /** `run()`: a stop signal arrived; `again` when one had arrived before (the process exits at once). */
  signal: { signal: NodeJS.Signals; again: boolean };
  /** `run()`: an unhandled rejection or uncaught exception; the agent stops and exits with code 1. */
  fault: { kind: 'unhandledRejection' | 'uncaughtException'; error: Error };
  /** `run()`: the process is exiting with `code`. */
  exiting: { code: number };
}

/** Name of an agent event. */
export type AgentEventName = keyof AgentEvents;

/** A listener of one agent event. */
export type AgentListener<E extends AgentEventName> = (event: AgentEvents[E]) => void;

/** A small typed event emitter; a listener that throws is reported, never propagated. */
export class Events<M extends object = AgentEvents> {
  private readonly listeners: Partial<Record<keyof M, Set<(event: never) => void>>> = {};
  /**
   * `hears.name` is true while `name` has listeners, so that a hot path can skip
   * building an event nobody hears with a plain property read.
   */
  readonly hears: Partial<Record<keyof M, boolean>> = {};

  /** How many times `emit` reached a listener: unchanged means no listener code ran since. */
  delivered = 0;

  constructor(private readonly onListenerError: (err: unknown, name: keyof M) => void) {}

  /** Subscribes; returns a function that unsubscribes. */
  on<E extends keyof M>(name: E, listener: (event: M[E]) => void): () => void {
    const set = (this.listeners[name] ??= new Set());
    set.add(listener);
    this.hears[name] = true;
    return () => {
      set.delete(listener);
      this.hears[name] = set.size > 0;
    };
  }

  /** Calls every listener of `name` with `event`. */
  emit<E extends keyof M>(name: E, event: M[E]): void {
    const listeners = this.listeners[name];
    if (!listeners || listeners.size === 0) return;
    this.delivered += 1;
    for (const listener of listeners) {
      try {
        (listener as (event: M[E]) => void)(event);
      } catch (err) {
        this.onListenerError(err, name);
      }
    }
  }
}
