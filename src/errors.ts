import type { Phase, StopPhase } from './vocabulary.js';

/** Stable codes of every error flavorkit throws. */
export type ErrorCode =
  | 'FK_PLUGIN_START'
  | 'FK_PLUGIN_TIMEOUT'
  | 'FK_PLUGIN_STOP'
  | 'FK_DEPENDENCY_CYCLE'
  | 'FK_DUPLICATE_PLUGIN'
  | 'FK_INVALID_PLUGIN'
  | 'FK_CONFIG'
  | 'FK_AGENT_STOP'
  | 'FK_AGENT_STATE'
  | 'FK_MANIFEST'
  | 'FK_LOADER'
  | 'FK_TEST_SETUP'
  | 'FK_KV'
  | 'FK_TEST_LEAK';

/** Fields shared by every flavorkit error. */
export interface ErrorDetails {
  plugin?: string | undefined;
  phase?: Phase | undefined;
  advice: string;
  cause?: unknown;
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

/** A plugin's `beforeClose` or `close` threw, rejected or passed its time limit. */
export class PluginStopError extends FlavorkitError {
  declare readonly plugin: string;
  declare readonly phase: StopPhase;

  constructor(plugin: string, phase: StopPhase, cause: unknown) {
    super('FK_PLUGIN_STOP', `plugin "${plugin}" failed in ${phase}: ${messageOf(cause)}`, {
      plugin,
      phase,
      cause,
      advice: 'Make beforeClose and close settle within the stop limit without throwing',
    });
  }
}

/**
 * One or more plugins failed while the agent stopped; every plugin was still
 * closed. `errors` holds one `PluginStopError` per failed call.
 */
export class AgentStopError extends FlavorkitError {
  readonly errors: PluginStopError[];

  constructor(errors: PluginStopError[]) {
    const calls = errors.map((e) => `${e.plugin} ${e.phase}: ${messageOf(e.cause)}`).join('; ');
    super('FK_AGENT_STOP', `${errors.length} plugin call(s) failed while stopping: ${calls}`, {
      advice:
        'Every plugin was still closed; error.errors holds each failure with its plugin and phase',
    });
    this.errors = errors;
  }
}

/** The message of anything thrown. */
export function messageOf(err: unknown): string {
  return toError(err).message;
}

/** Longest JSON of a thrown object kept in a message. */
const MAX_THROWN_JSON = 200;

/**
 * Anything thrown or rejected, as an Error: an Error as it is (also one from
 * another realm), a string as its message, `undefined` and `null` with a message
 * saying so, a plain object as its JSON (at most 200 characters). The value
 * thrown is kept as `cause`.
 */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (Object.prototype.toString.call(err) === '[object Error]') {
    return new Error(String((err as { message?: unknown }).message), { cause: err });
  }
  return new Error(describeThrown(err), { cause: err });
}

function describeThrown(value: unknown): string {
  if (value === undefined || value === null) return `${String(value)} was thrown, not an Error`;
  if (typeof value === 'string') return value || 'an empty string was thrown, not an Error';
  if (typeof value !== 'object') return String(value);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) {
    const cls = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return `${typeof cls === 'string' && cls ? `a ${cls}` : 'an object'} was thrown, not an Error`;
  }
  return json.length > MAX_THROWN_JSON ? `${json.slice(0, MAX_THROWN_JSON)}…` : json;
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
    const plugins = [...new Set(issues.map((i) => i.plugin))];
    const many = plugins.length > 1;
    const lines = issues
      .map((i) => `\n  - ${many ? `${i.plugin}: ` : ''}${i.setting} (${i.source}): ${i.message}`)
      .join('');
    const which = many
      ? `plugins ${plugins.map((p) => `"${p}"`).join(', ')}`
      : `plugin "${plugin}"`;
    super('FK_CONFIG', `invalid configuration of ${which}:${lines}\n`, {
      plugin,
      phase: 'init',
      advice: 'Correct the settings listed; `--help` lists every setting with its variable',
    });
    this.issues = issues;
  }
}

/** Why a KV store refused an operation. */
export type KvErrorReason =
  | 'invalid-key'
  | 'invalid-value'
  | 'invalid-option'
  | 'value-too-large'
  | 'codec'
  | 'closed'
  | 'unavailable';

/** A KV store refused an operation before writing anything; `reason` says why. */
export class KvError extends FlavorkitError {
  readonly reason: KvErrorReason;

  constructor(
    plugin: string,
    reason: KvErrorReason,
    message: string,
    advice: string,
    cause?: unknown,
  ) {
    super('FK_KV', `kv store "${plugin}": ${message}`, { plugin, advice, cause });
    this.reason = reason;
  }
}
