import { describe, expect, it } from 'vitest';
import { Agent, ConfigError, type Phase, type Plugin } from '../src/index.js';
import { buildReport } from '../plugins/diagnostics/index.js';
import { deferred } from './helpers/deferred.js';
import { quiet } from './helpers/recording.js';

/**
 * Plugins whose calls wait on a gate the test opens, recording `name.phase>`
 * when a call begins and `name.phase<` when it ends.
 */
function gated() {
  const log: string[] = [];
  const waiting = new Map<string, () => void>();
  let onBegin: () => void = () => undefined;
  const call =
    (name: string, phase: Phase, fail = false) =>
    () => {
      log.push(`${name}.${phase}>`);
      const gate = deferred();
      waiting.set(`${name}.${phase}`, gate.resolve);
      onBegin();
      return gate.promise.then(() => {
        log.push(`${name}.${phase}<`);
        if (fail) throw new Error(`${name} broke`);
      });
    };
  const plugin = (name: string, deps: Record<string, Plugin> = {}, failInit = false) => ({
    name,
    plugin: {
      deps,
      init: call(name, 'init', failInit),
      afterInit: () => undefined,
      beforeClose: () => undefined,
      close: call(name, 'close'),
    } satisfies Plugin & { deps: object },
  });
  /** Resolves once the calls named are all waiting. */
  const begun = (...calls: string[]) =>
    new Promise<void>((resolve) => {
      onBegin = () => {
        if (calls.every((c) => waiting.has(c))) resolve();
      };
      onBegin();
    });
  const open = (name: string) => {
    const resolve = waiting.get(name);
    if (!resolve) throw new Error(`${name} is not waiting: ${log.join(' ')}`);
    waiting.delete(name);
    resolve();
  };
  return { log, plugin, begun, open, waiting };
}

describe('AgentOptions.concurrency', () => {
  it('starts independent plugins together, at most `concurrency` at once', async () => {
    const g = gated();
    const agent = new Agent(
      ['a', 'b', 'c'].map((n) => g.plugin(n)),
      { ...quiet, concurrency: 2 },
    );
    const starting = agent.start();
    await g.begun('a.init', 'b.init');
    expect(g.log).toEqual(['a.init>', 'b.init>']);
    g.open('b.init');
    await g.begun('c.init');
    g.open('a.init');
    g.open('c.init');
    await starting;
    expect(agent.status().state).toBe('ok');
    const stopping = agent.stop();
    await g.begun('c.close', 'b.close');
    for (const n of ['c', 'b']) g.open(`${n}.close`);
    await g.begun('a.close');
    g.open('a.close');
    await stopping;
  });

  it('starts a plugin once its dependencies are up, and closes it before them', async () => {
    const g = gated();
    const a = g.plugin('a');
    const b = g.plugin('b', { a: a.plugin });
    const agent = new Agent([b, a, g.plugin('c')], { ...quiet, concurrency: 8 });
    const starting = agent.start();
    await g.begun('a.init', 'c.init');
    expect(g.waiting.has('b.init')).toBe(false);
    g.open('a.init');
    await g.begun('b.init');
    g.open('b.init');
    g.open('c.init');
    await starting;
    const stopping = agent.stop();
    await g.begun('b.close', 'c.close');
    expect(g.waiting.has('a.close')).toBe(false);
    g.open('b.close');
    await g.begun('a.close');
    g.open('a.close');
    g.open('c.close');
    await stopping;
  });

  it('on a failure begins nothing new, awaits the running calls, and rolls back what started', async () => {
    const g = gated();
    const a = g.plugin('a', {}, true);
    const b = g.plugin('b');
    const later = g.plugin('later', { a: a.plugin });
    const agent = new Agent([a, b, later], { ...quiet, concurrency: 4 });
    const starting = agent.start().catch((err: unknown) => err);
    await g.begun('a.init', 'b.init');
    g.open('a.init');
    // `b` is still running: the start waits for it before rolling back
    await new Promise((resolve) => setImmediate(resolve));
    expect(agent.status().state).toBe('starting');
    g.open('b.init');
    await g.begun('b.close');
    g.open('b.close');
    expect(await starting).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'a' });
    expect(g.log).toEqual(['a.init>', 'b.init>', 'a.init<', 'b.init<', 'b.close>', 'b.close<']);
  });

  it('keeps the declared order, one call at a time, by default', async () => {
    const g = gated();
    const agent = new Agent(
      ['a', 'b'].map((n) => g.plugin(n)),
      quiet,
    );
    const starting = agent.start();
    await g.begun('a.init');
    expect(g.waiting.has('b.init')).toBe(false);
    g.open('a.init');
    await g.begun('b.init');
    g.open('b.init');
    await starting;
    const stopping = agent.stop();
    await g.begun('b.close');
    g.open('b.close');
    await g.begun('a.close');
    g.open('a.close');
    await stopping;
  });

  it('refuses a concurrency that is not a whole number of calls', () => {
    for (const concurrency of [0, -1, 1.5, NaN]) {
      expect(() => new Agent([], { ...quiet, concurrency })).toThrow(ConfigError);
    }
  });

  it('lays overlapping calls of the diagnostics timeline side by side in time', async () => {
    const g = gated();
    const agent = new Agent(
      ['a', 'b'].map((n) => g.plugin(n)),
      { ...quiet, concurrency: 2 },
    );
    const starting = agent.start();
    await g.begun('a.init', 'b.init');
    g.open('a.init');
    g.open('b.init');
    await starting;
    const report = buildReport(agent, { state: 'ok', plugins: {} });
    const [barA, barB] = report.timeline.filter((bar) => bar.phase === 'init');
    expect(barB!.startMs).toBeLessThan(barA!.startMs + barA!.durationMs);
    expect(report.timeline.map((bar) => `${bar.plugin}.${bar.phase}`)).toEqual([
      'a.init',
      'b.init',
      'a.afterInit',
      'b.afterInit',
    ]);
    const stopping = agent.stop();
    await g.begun('a.close', 'b.close');
    g.open('a.close');
    g.open('b.close');
    await stopping;
  });
});
