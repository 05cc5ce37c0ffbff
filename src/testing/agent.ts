import { Writable } from 'node:stream';
import { onTestFinished } from 'vitest';
import { Agent, type AgentOptions } from '../agent.js';
import { type ConfigClass, settingNames } from '../config/load.js';
import { LeakError, TestSetupError } from '../errors.js';
import { flavorFields, isFlavor } from '../flavor.js';
import { flatten, type FoundPlugin, type NamedPlugin } from '../flatten.js';
import { isPlugin, type Phase, type Plugin } from '../plugin.js';
import { LeakTracker } from './leaks.js';
import type { PluginPath, Swaps } from './paths.js';

/** How to build a test agent over an application's flavor. */
export interface TestAgentOptions<F> {
  /** Replace plugins by typed field path, before `inject()` runs, so dependents get the mocks. */
  swap?: Swaps<F>;
  /** Replace plugins by their name in the agent, for plugins no typed path reaches. */
  swapByName?: Record<string, Plugin>;
  /** Leave plugins out, by field path or name. */
  remove?: Array<PluginPath<F> | (string & {})>;
  /** Extra plugins for the test, by name. */
  add?: Record<string, Plugin>;
  /** Configuration per plugin name; HTTP servers listen on a free port unless given one. */
  config?: Record<string, Record<string, unknown>>;
  /** Environment to read; default none, so the machine's variables never leak into a test. */
  env?: Record<string, string | undefined>;
  /** Config directory to read; default none. */
  configDir?: string | undefined;
  /** Other agent options (name, timeouts). */
  agent?: Pick<AgentOptions, 'name' | 'timeout' | 'startTimeout' | 'stopTimeout' | 'label'>;
  /** Start before returning; default true. */
  start?: boolean | undefined;
  /** Check for unclosed plugins and leaked timers or sockets when the test ends; default true. */
  checkLeaks?: boolean | undefined;
}

/** One parsed log line. */
export interface LogLine {
  level: string;
  logger: string;
  message: string;
  [field: string]: unknown;
}

/** An HTTP answer: status, headers and the body, parsed when it is JSON. */
export interface TestResponse<B = unknown> {
  status: number;
  headers: Record<string, string>;
  body: B;
}

/** What `testAgent` returns. */
export interface TestAgent<F> {
  agent: Agent;
  flavor: F;
  /** Every line logged, parsed; nothing is printed. */
  logs: LogLine[];
  /** Every lifecycle call of every plugin, in order, as `name.phase`. */
  calls: string[];
  /** Calls a route of the flavor's HTTP server. */
  request<B = unknown>(
    method: string,
    path: string,
    options?: { body?: unknown; headers?: Record<string, string> },
  ): Promise<TestResponse<B>>;
  /** Stops the agent now (it is stopped when the test ends anyway). */
  stop(): Promise<void>;
}

/**
 * Builds an agent over `flavor` for one vitest test: swaps, removes and adds
 * plugins, configures it in code, captures its logs, starts it, and stops it
 * when the test ends, failing the test if stopping fails, a plugin is left
 * unclosed or a plugin left a timer or socket open.
 */
export async function testAgent<F extends object>(
  flavor: F,
  options: TestAgentOptions<F> = {},
): Promise<TestAgent<F>> {
  for (const [path, mock] of Object.entries(options.swap ?? {})) setAt(flavor, path, mock);
  for (const [name, mock] of Object.entries(options.swapByName ?? {})) {
    const path = pathOfName(flavor, name);
    if (!path) throw new TestSetupError(`swapByName "${name}" matches no plugin of the flavor`);
    setAt(flavor, path, mock);
  }
  const found = flatten(flavor);
  const plugins = withoutRemoved(found, options.remove ?? []);
  for (const [name, plugin] of Object.entries(options.add ?? {})) {
    plugins.push({ name, plugin, path: `add.${name}` });
  }

  const logs: LogLine[] = [];
  const config = { ...options.config };
  for (const p of plugins) {
    if (isListener(p.plugin)) config[p.name] = { port: 0, ...config[p.name] };
  }
  const agent = new Agent(plugins, {
    name: 'test',
    ...options.agent,
    env: options.env ?? {},
    configDir: options.configDir,
    config,
    log: { stream: lineSink(logs), format: 'json', level: 'debug' },
  });

  const calls: string[] = [];
  agent.on('phaseBegin', ({ plugin, phase }) => void calls.push(`${plugin}.${phase}`));
  const leaks = options.checkLeaks === false ? undefined : new LeakTracker();
  const unwrap = leaks ? plugins.map((p) => trackCalls(p, leaks)) : [];
  leaks?.start();

  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= agent.stop());
  onTestFinished(async () => {
    // a stop the test made itself, and saw fail, is not reported twice
    try {
      // a stop nobody saw fail fails the test: AgentStopError names each plugin and phase
      if (stopped) await stopped.catch(() => undefined);
      else await stop();
    } finally {
      for (const restore of unwrap) restore();
    }
    const problems = unclosed(agent);
    if (leaks) {
      for (const leak of await leaks.stop()) {
        problems.push(
          `plugin "${leak.plugin}" left a ${leak.type} open after stop (made in ${leak.phase})`,
        );
      }
    }
    if (problems.length > 0) throw new LeakError(problems.join('; '));
  });

  if (options.start !== false) await agent.start();
  const http = plugins.map((p) => p.plugin).find(isHttpServer);
  return {
    agent,
    flavor,
    logs,
    calls,
    stop,
    request: (method, path, init = {}) => {
      if (!http) throw new TestSetupError('request() needs an HttpPlugin in the flavor');
      return call(http, method, path, init);
    },
  };
}

/** A plugin that listens on a port: it tells its address and has a `port` setting. */
interface Listener {
  address(): { host: string; port: number };
}

/** What `request()` calls: a listener that also mounts routers, as an HTTP server does. */
interface HttpServer extends Listener {
  router(prefix?: string): unknown;
}

function isListener(plugin: Plugin): plugin is Plugin & Listener {
  const cls = (plugin.constructor as { configClass?: ConfigClass }).configClass;
  return (
    typeof (plugin as Partial<Listener>).address === 'function' &&
    cls !== undefined &&
    settingNames(cls).includes('port')
  );
}

function isHttpServer(plugin: Plugin): plugin is Plugin & HttpServer {
  return isListener(plugin) && typeof (plugin as Partial<HttpServer>).router === 'function';
}

const PHASES: Phase[] = ['init', 'afterInit', 'beforeClose', 'close'];

/**
 * Runs every lifecycle call of one plugin in a scope of the leak tracker, by
 * giving the instance wrapping methods of its own; returns what undoes that.
 */
function trackCalls({ name, plugin }: NamedPlugin, leaks: LeakTracker): () => void {
  const target = plugin as unknown as Record<Phase, unknown>;
  const restores: Array<() => void> = [];
  for (const phase of PHASES) {
    const method = target[phase];
    if (typeof method !== 'function') continue;
    const own = Object.getOwnPropertyDescriptor(target, phase);
    target[phase] = function (this: unknown, ...args: unknown[]) {
      return leaks.run(name, phase, () => method.apply(this, args) as unknown);
    };
    restores.push(() => {
      if (own) Object.defineProperty(target, phase, own);
      else delete target[phase];
    });
  }
  return () => restores.forEach((restore) => restore());
}

function setAt(flavor: object, path: string, mock: unknown): void {
  const keys = path.split('.');
  let owner: Record<string, unknown> = flavor as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = owner[key];
    if (!isFlavor(next))
      throw new TestSetupError(`swap "${path}": "${key}" is not an embedded flavor`);
    owner = next as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  const declared = flavorFields(owner).some((f) => f.kind === 'plug' && f.key === last);
  if (!declared) throw new TestSetupError(`swap "${path}" matches no @Plug field of the flavor`);
  if (!isPlugin(mock)) throw new TestSetupError(`swap "${path}" is not a plugin: it has no init()`);
  owner[last] = mock;
}

/** The field path of the plugin called `name`, searching embedded flavors depth first. */
function pathOfName(flavor: object, name: string, prefix = ''): string | undefined {
  for (const field of flavorFields(flavor)) {
    const path = prefix + field.key;
    const value = (flavor as Record<string, unknown>)[field.key];
    if (field.kind === 'plug' && (field.options.name ?? field.key) === name) return path;
    if (field.kind === 'embed' && isFlavor(value)) {
      const inner = pathOfName(value, name, `${path}.`);
      if (inner) return inner;
    }
  }
  return undefined;
}

function withoutRemoved(found: FoundPlugin[], remove: string[]): NamedPlugin[] {
  for (const target of remove) {
    if (!found.some((f) => f.path === target || f.name === target)) {
      throw new TestSetupError(`remove "${target}" matches no plugin of the flavor`);
    }
  }
  return found
    .filter((f) => !remove.includes(f.path) && !remove.includes(f.name))
    .map((f) => ({ ...f.options, name: f.name, plugin: f.plugin, path: f.path }));
}

function unclosed(agent: Agent): string[] {
  return agent.plugins
    .filter((p) => p.timings.init !== undefined && p.state !== 'stopped' && p.state !== 'failed')
    .map((p) => `plugin "${p.name}" was left ${p.state}, not closed`);
}

function lineSink(lines: LogLine[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n'))
        if (text) lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
}

async function call<B>(
  http: HttpServer,
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> },
): Promise<TestResponse<B>> {
  const { port } = http.address();
  const headers = { ...init.headers };
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers,
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json');
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    body: (json && text ? JSON.parse(text) : text) as B,
  };
}
