import { describe, expect, it } from 'vitest';
import { Agent, DependencyCycleError, Embed, Flavor, Plug } from '../src/index.js';
import type { AgentEvents } from '../src/index.js';
import { captureLines, journal, quiet } from './helpers/recording.js';

describe('agent lifecycle', () => {
  it('inits all in order, then afterInit all; stops with beforeClose all, then close all, in reverse', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('a'), j.plugin('b'), j.plugin('c')], quiet);
    await agent.start();
    expect(j.calls).toEqual([
      'a.init',
      'b.init',
      'c.init',
      'a.afterInit',
      'b.afterInit',
      'c.afterInit',
    ]);
    j.calls.length = 0;
    await agent.stop();
    expect(j.calls).toEqual([
      'c.beforeClose',
      'b.beforeClose',
      'a.beforeClose',
      'c.close',
      'b.close',
      'a.close',
    ]);
  });

  it('awaits asynchronous calls one after another', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('slow', { init: 20 }), j.plugin('fast')], quiet);
    await agent.start();
    expect(j.calls.slice(0, 2)).toEqual(['slow.init', 'fast.init']);
    await agent.stop();
  });

  it('resolves ready once the start succeeded and reports every plugin ok', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('a')], quiet);
    let ready = false;
    void agent.ready.then(() => (ready = true));
    expect(agent.status().state).toBe('idle');
    await agent.start();
    await Promise.resolve();
    expect(ready).toBe(true);
    expect(agent.status()).toMatchObject({ state: 'ok', plugins: [{ name: 'a', state: 'ok' }] });
    await agent.stop();
    expect(agent.status()).toMatchObject({ state: 'stopped', plugins: [{ state: 'stopped' }] });
  });

  it('returns the same start while one is running, and can start again after a stop', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('a', { init: 5 })], quiet);
    const first = agent.start();
    expect(agent.start()).toBe(first);
    await first;
    await agent.stop();
    await agent.start();
    await agent.stop();
    expect(j.calls.filter((c) => c === 'a.init')).toHaveLength(2);
  });

  it('emits typed events with durations for every call and for the agent', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('a', { init: 5 })], quiet);
    const seen: string[] = [];
    let initEnd: AgentEvents['phaseEnd'] | undefined;
    agent.on('phaseBegin', (e) => seen.push(`begin ${e.plugin}.${e.phase}`));
    agent.on('phaseEnd', (e) => {
      seen.push(`end ${e.plugin}.${e.phase}`);
      if (e.phase === 'init') initEnd = e;
    });
    for (const name of ['starting', 'started', 'stopping', 'stopped'] as const) {
      agent.on(name, () => seen.push(name));
    }
    await agent.start();
    await agent.stop();
    expect(seen).toEqual([
      'starting',
      'begin a.init',
      'end a.init',
      'begin a.afterInit',
      'end a.afterInit',
      'started',
      'stopping',
      'begin a.beforeClose',
      'end a.beforeClose',
      'begin a.close',
      'end a.close',
      'stopped',
    ]);
    expect(initEnd!.durationMs).toBeGreaterThanOrEqual(4);
    expect(agent.plugins[0]!.timings.init).toBe(initEnd!.durationMs);
  });

  it("times each synchronous call by itself: neither the call before it nor a listener's work counts", async () => {
    const busy = (ms: number) => {
      for (const until = performance.now() + ms; performance.now() < until;);
    };
    const slow = { name: 'slow', init: () => busy(15) };
    const quick = { name: 'quick', init: () => undefined };
    const heard = { name: 'heard', init: () => undefined };
    const after = { name: 'after', init: () => undefined };
    const agent = new Agent([slow, quick, heard, after], quiet);
    agent.on('phaseEnd', ({ plugin }) => {
      if (plugin === 'heard') busy(15);
    });
    await agent.start();
    const [s, q, h, a] = agent.plugins;
    expect(s!.timings.init).toBeGreaterThanOrEqual(15);
    expect(q!.timings.init).toBeLessThan(15);
    expect(q!.began.init).toBeGreaterThanOrEqual(s!.began.init! + s!.timings.init!);
    expect(h!.timings.init).toBeLessThan(15);
    // the listener ran between "heard" and "after": it counts for neither
    expect(a!.timings.init).toBeLessThan(15);
    expect(a!.began.init).toBeGreaterThanOrEqual(h!.began.init! + 15);
    await agent.stop();
  });

  it('logs the start-up timeline with each plugin and its duration', async () => {
    const { stream, lines } = captureLines();
    const j = journal();
    const agent = new Agent([j.plugin('alpha'), j.plugin('beta')], {
      log: { stream, format: 'json' },
    });
    await agent.start();
    await agent.stop();
    const timeline = lines.map((l) => JSON.parse(l) as { message: string; logger: string });
    expect(timeline.some((l) => /^alpha\s+init\s+[\d.]+ ms/.test(l.message))).toBe(true);
    expect(timeline.some((l) => /^beta\s+init\s+[\d.]+ ms/.test(l.message))).toBe(true);
    expect(timeline.some((l) => /^started in [\d.]+ ms/.test(l.message))).toBe(true);
  });
});

describe('dependency order', () => {
  it("starts every plugin held in another's deps before it, keeping declaration order otherwise", async () => {
    const j = journal();
    @Flavor()
    class App {
      @Plug() api = j.plugin('api');
      @Plug() cache = j.plugin('cache');
      @Plug() db = j.plugin('db');
      @Plug() pool = j.plugin('pool');
      inject() {
        this.api.deps = { store: this.db, extra: [this.pool], note: 'not a plugin' };
      }
    }
    const agent = new Agent(new App(), quiet);
    expect(agent.plugins.map((p) => p.name)).toEqual(['db', 'pool', 'api', 'cache']);
    expect(agent.plugins[2]!.dependsOn).toEqual(['db', 'pool']);
    await agent.start();
    await agent.stop();
    expect(j.calls.slice(-4)).toEqual(['cache.close', 'api.close', 'pool.close', 'db.close']);
  });

  it('refuses a cycle, spelling it by plugin names', () => {
    const j = journal();
    @Flavor()
    class Inner {
      @Plug() b = j.plugin('b');
      @Plug() c = j.plugin('c');
    }
    @Flavor()
    class Loop {
      @Plug() a = j.plugin('a');
      @Embed() inner = new Inner();
      inject() {
        this.a.deps = { next: this.inner.b };
        this.inner.b.deps = { next: this.inner.c };
        this.inner.c.deps = { next: this.a };
      }
    }
    let error: unknown;
    try {
      new Agent(new Loop(), quiet);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DependencyCycleError);
    expect((error as DependencyCycleError).cycle).toEqual(['a', 'b', 'c', 'a']);
    expect((error as Error).message).toContain('a -> b -> c -> a');
  });
});
