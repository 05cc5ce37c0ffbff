import type { Phase } from './plugin.js';

/** Stable codes of every error flavorkit throws. */
export type ErrorCode =
  | 'FK_PLUGIN_START'
  | 'FK_PLUGIN_TIMEOUT'
  | 'FK_DEPENDENCY_CYCLE'
  | 'FK_DUPLICATE_PLUGIN'
  | 'FK_INVALID_PLUGIN'
  | 'FK_CONFIG'
  | 'FK_AGENT_STOP'
  | 'FK_AGENT_STATE'
  | 'FK_MANIFEST'
  | 'FK_LOADER'
  | 'FK_TEST_SETUP'
  | 'FK_TEST_LEAK';

/** Fields shared by every flavorkit error. */
export interface ErrorDetails {
  plugin?: string | undefined;
  phase?: Phase | undefined;
  advice: string;
  cause?: unknown | undefined;
}

/** Base class of flavorkit's errors: a stable `code`, the plugin and phase, and advice. */
export class FlavorkitError extends Error {
  readonly code: ErrorCode;
  readonly plugin?: string | undefined;
  readonly phase?: Phase | undefined;
  readonly advice: string;

  constructor(code: ErrorCode, message: string, details: ErrorDetails) {
    super(`${message}. ${details.advice}`, { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.plugin = details.plugin;
    this.phase = details.phase;
    this.advice = details.advice;
  }
}

/** A critical plugin failed during start; the agent rolled back what had started. */
export class PluginStartError extends FlavorkitError {
  constructor(plugin: string, phase: Phase, cause: unknown) {
    super('FK_PLUGIN_START', `plugin "${plugin}" failed in ${phase}: ${messageOf(cause)}`, {
      plugin,
      phase,
      cause,
      advice: 'Fix the cause above or mark the plugin optional with @Plug({ optional: true })',
    });
  }
}

/** A lifecycle call passed its time limit. */
export class PluginTimeoutError extends FlavorkitError {
  readonly timeoutMs: number;

  constructor(plugin: string, phase: Phase, timeoutMs: number, budget: string) {
    super(
      'FK_PLUGIN_TIMEOUT',
      `plugin "${plugin}" did not finish ${phase} within ${timeoutMs} ms`,
      {
        plugin,
        phase,
        advice:
          budget === 'call'
            ? 'Make the call settle sooner, honour ctx.signal, or raise @Plug({ timeout }) / AgentOptions.timeout'
            : `The agent's ${budget} budget ran out; raise AgentOptions.${budget}Timeout or speed up the plugins before it`,
      },
    );
    this.timeoutMs = timeoutMs;
  }
}

/** Plugins depend on each other in a circle. */
export class DependencyCycleError extends FlavorkitError {
  readonly cycle: string[];

  constructor(cycle: string[]) {
    super('FK_DEPENDENCY_CYCLE', `plugin dependency cycle: ${cycle.join(' -> ')}`, {
      plugin: cycle[0],
      advice: 'Break the cycle: one of these plugins must not hold another in its deps',
    });
    this.cycle = cycle;
  }
}

/** Two different plugin instances share one name. */
export class DuplicatePluginError extends FlavorkitError {
  readonly paths: [string, string];

  constructor(name: string, first: string, second: string) {
    super(
      'FK_DUPLICATE_PLUGIN',
      `two different plugins are named "${name}": at ${first} and at ${second}`,
      {
        plugin: name,
        advice:
          'Share one instance between the flavors, or give each a distinct @Plug({ name: ... })',
      },
    );
    this.paths = [first, second];
  }
}

/** A field marked `@Plug` or `@Embed` does not hold what it should. */
export class InvalidPluginError extends FlavorkitError {
  readonly path: string;

  constructor(path: string, problem: string, advice: string) {
    super('FK_INVALID_PLUGIN', `${path} ${problem}`, { advice });
    this.path = path;
  }
}

/** The agent was asked to do something its state does not allow. */
export class AgentStateError extends FlavorkitError {
  constructor(message: string, advice: string) {
    super('FK_AGENT_STATE', message, { advice });
  }
}

/** A plugin folder's `plugin.json` was refused; `reason` says why, without the advice. */
export class ManifestError extends FlavorkitError {
  readonly reason: string;

  constructor(reason: string) {
    super('FK_MANIFEST', reason, {
      advice: 'Correct plugin.json; docs/dynamic-plugins.md lists every key',
    });
    this.reason = reason;
  }
}

/** The plugin loader refused an operation; `status` is the HTTP status its admin route answers. */
export class LoaderError extends FlavorkitError {
  constructor(
    message: string,
    readonly status: 404 | 409 | 500,
  ) {
    super('FK_LOADER', message, {
      advice: 'GET /plugins (or loader.list()) shows every plugin with its state and reasons',
    });
  }
}

/** A mistake in a test's set-up: a swap or removal that matches nothing, a leak. */
export class TestSetupError extends FlavorkitError {
  constructor(message: string) {
    super('FK_TEST_SETUP', message, { advice: 'Check the names and paths given to testAgent()' });
  }
}

/** A test agent's plugin left a timer or socket open, or was not closed, after the agent stopped. */
export class LeakError extends FlavorkitError {
  constructor(message: string) {
    super('FK_TEST_LEAK', message, {
      advice:
        'Release in close() what the plugin took in its other calls: clear timers, close servers and sockets (or unref() what must outlive it)',
    });
  }
}

/** One or more plugins failed while the agent stopped; every plugin was still closed. */
export class AgentStopError extends AggregateError {
  readonly code = 'FK_AGENT_STOP' as const;

  constructor(errors: Error[]) {
    super(
      errors,
      `${errors.length} plugin call(s) failed while stopping: ${errors.map(messageOf).join('; ')}`,
    );
    this.name = 'AgentStopError';
  }
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Anything thrown, as an Error. */
export function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** One bad setting: which, where it came from and what is wrong. */
export interface ConfigIssue {
  plugin: string;
  setting: string;
  /** `default`, `file <path>`, `env <VARIABLE>` or `code`. */
  source: string;
  message: string;
}

/** A plugin's configuration is invalid; `issues` lists every bad setting. */
export class ConfigError extends FlavorkitError {
  readonly issues: ConfigIssue[];

  constructor(plugin: string, issues: ConfigIssue[]) {
    const lines = issues.map((i) => `\n  - ${i.setting} (${i.source}): ${i.message}`).join('');
    super('FK_CONFIG', `invalid configuration of plugin "${plugin}":${lines}\n`, {
      plugin,
      phase: 'init',
      advice: 'Correct the settings listed; `--help` lists every setting with its variable',
    });
    this.issues = issues;
  }
}
