import { describe, expect, it } from 'vitest';
import {
  Agent,
  ConfigError,
  Flavor,
  Plug,
  type Plugin,
  setTimer,
  timeLimit,
  withTimeout,
} from '../src/index.js';
import { StatusCheckPlugin } from '../plugins/status-check/index.js';
import { quiet } from './helpers/recording.js';

/** A plugin whose init settles after `ms` on a timer. */
const slowInit = (ms: number): Plugin => ({
  init: () => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

function configError(make: () => unknown): ConfigError {
  try {
    make();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  return expect.unreachable('no error was thrown');
}

describe('time limits', () => {
  it.each([Infinity, 0, 3e9, 2 ** 31])('a limit of %s ms lets a 30 ms init finish', async (ms) => {
    const agent = new Agent([{ name: 'db', plugin: slowInit(30) }], {
      ...quiet,
      timeout: ms,
      startTimeout: ms,
      stopTimeout: ms,
    });
    await agent.start();
    expect(agent.status().state).toBe('ok');
    await agent.stop();
  });

  it('takes Infinity from @Plug({ timeout }) as no limit', async () => {
    @Flavor()
    class App {
      @Plug({ timeout: Infinity }) db = slowInit(30);
    }
    const agent = new Agent(new App(), { ...quiet, timeout: 5 });
    await agent.start();
    expect(agent.plugins[0]!.state).toBe('ok');
    await agent.stop();
  });

  it.each([-1, NaN, '5s', null])(
    'refuses %s as a limit when the agent is made, naming the setting',
    (value) => {
      for (const setting of ['timeout', 'startTimeout', 'stopTimeout'] as const) {
        const error = configError(() => new Agent([], { ...quiet, [setting]: value as number }));
        expect(error.issues).toMatchObject([{ plugin: 'agent', setting }]);
      }
    },
  );

  it('refuses a bad @Plug({ timeout }) when the agent is made, naming the plugin', () => {
    @Flavor()
    class App {
      @Plug({ timeout: -5 }) db = slowInit(1);
    }
    const error = configError(() => new Agent(new App(), quiet));
    expect(error.plugin).toBe('db');
    expect(error.issues).toMatchObject([{ plugin: 'db', setting: 'timeout' }]);
  });

  it('checks status-check probe limits where they are registered', async () => {
    const status = new StatusCheckPlugin();
    expect(() => status.register('db', () => undefined, { timeout: -1 })).toThrow(ConfigError);
    expect(() => status.register('db', () => undefined, { interval: NaN })).toThrow(ConfigError);
    status.register('db', () => new Promise((r) => setTimeout(r, 20)), { timeout: Infinity });
    await status.probe('db');
    expect(status.agentStatus().plugins.db?.state).toBe('ok');
  });

  it('gives the shared validator to other limits: 0 and Infinity are no limit', () => {
    expect(timeLimit(0, 'drainTimeout', 'http')).toBe(Infinity);
    expect(timeLimit(Infinity, 'drainTimeout', 'http')).toBe(Infinity);
    expect(timeLimit(250, 'drainTimeout', 'http')).toBe(250);
    expect(configError(() => timeLimit(-3, 'drainTimeout', 'http')).issues).toMatchObject([
      { plugin: 'http', setting: 'drainTimeout' },
    ]);
  });

  it('never fires a timer of 2^31 ms or more early', async () => {
    let fired = false;
    const cancel = setTimer(3e9, () => (fired = true));
    let settle!: () => void;
    const pending = new Promise<void>((resolve) => (settle = resolve));
    let expired = false;
    const late = withTimeout(pending, 2 ** 31, () => new Error('expired')).catch(
      () => (expired = true),
    );
    await new Promise<void>((resolve) => setTimer(30, resolve));
    expect(fired).toBe(false);
    expect(expired).toBe(false);
    cancel();
    settle();
    await late;
  });
});
