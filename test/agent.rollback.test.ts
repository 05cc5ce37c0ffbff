import { describe, expect, it } from 'vitest';
import {
  Agent,
  AgentStopError,
  FlavorkitError,
  PluginStartError,
  PluginTimeoutError,
  type Plugin,
} from '../src/index.js';
import { journal, quiet } from './helpers/recording.js';

async function startError(agent: Agent): Promise<PluginStartError | PluginTimeoutError> {
  return agent.start().then(
    () => {
      throw new Error('start should have failed');
    },
    (err: PluginStartError | PluginTimeoutError) => err,
  );
}

describe('rollback when a critical plugin fails to start', () => {
  it('closes what was initialised, in reverse, and names the plugin, phase and cause', async () => {
    const j = journal();
    const agent = new Agent(
      [j.plugin('a'), j.plugin('b'), j.plugin('c', { init: 'throw' }), j.plugin('d')],
      quiet,
    );
    const error = await startError(agent);
    expect(error).toBeInstanceOf(PluginStartError);
    expect(error).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'c', phase: 'init' });
    expect((error.cause as Error).message).toBe('c init broke');
    expect(j.calls).toEqual(['a.init', 'b.init', 'c.init', 'b.close', 'a.close']);
    expect(agent.status().state).toBe('error');
    await expect(agent.ready).rejects.toBe(error);
  });

  it('stops serving before releasing when afterInit fails', async () => {
    const j = journal();
    const agent = new Agent(
      [j.plugin('a'), j.plugin('b', { afterInit: 'throw' }), j.plugin('c')],
      quiet,
    );
    const error = await startError(agent);
    expect(error).toMatchObject({ plugin: 'b', phase: 'afterInit' });
    expect(j.calls).toEqual([
      'a.init',
      'b.init',
      'c.init',
      'a.afterInit',
      'b.afterInit',
      'a.beforeClose',
      'c.close',
      'b.close',
      'a.close',
    ]);
  });

  it('times out a hanging init, aborts its signal, and still closes every plugin whose init completed', async () => {
    const j = journal();
    const hanging = j.plugin('hang', { init: 'hang' });
    const agent = new Agent(
      [j.plugin('a'), j.plugin('b'), { name: 'hang', plugin: hanging, timeout: 30 }],
      quiet,
    );
    const error = await startError(agent);
    expect(error).toBeInstanceOf(PluginTimeoutError);
    expect(error).toMatchObject({ code: 'FK_PLUGIN_TIMEOUT', plugin: 'hang', phase: 'init' });
    expect(hanging.signal!.aborted).toBe(true);
    expect(j.calls).toEqual(['a.init', 'b.init', 'hang.init', 'b.close', 'a.close']);
  });

  it('bounds the whole start with startTimeout', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('a', { init: 40 }), j.plugin('b', { init: 40 })], {
      ...quiet,
      startTimeout: 50,
    });
    const error = await startError(agent);
    expect(error).toMatchObject({ code: 'FK_PLUGIN_TIMEOUT', plugin: 'b' });
    expect(error.message).toContain('startTimeout');
    expect(j.calls.at(-1)).toBe('a.close');
  });
});

describe('optional plugins', () => {
  it('marks a failing optional plugin failed, skips its dependents and reports the agent degraded', async () => {
    const j = journal();
    const metrics = j.plugin('metrics', { init: 'throw' });
    const exporter = j.plugin('exporter');
    exporter.deps = { metrics };
    const agent = new Agent(
      [
        j.plugin('core'),
        { name: 'metrics', plugin: metrics, optional: true },
        { name: 'exporter', plugin: exporter, optional: true },
      ],
      quiet,
    );
    await agent.start();
    expect(agent.status().state).toBe('degraded');
    expect(agent.plugins.map((p) => [p.name, p.state])).toEqual([
      ['core', 'ok'],
      ['metrics', 'failed'],
      ['exporter', 'skipped'],
    ]);
    expect(agent.plugins[1]!.error).toBe('metrics init broke');
    expect(j.calls).not.toContain('exporter.init');
    await agent.stop();
  });

  it('fails the start when a critical plugin depends on a failed optional one', async () => {
    const j = journal();
    const cache = j.plugin('cache', { init: 'throw' });
    const api = j.plugin('api');
    api.deps = { cache };
    const agent = new Agent(
      [
        { name: 'cache', plugin: cache, optional: true },
        { name: 'api', plugin: api },
      ],
      quiet,
    );
    const error = await startError(agent);
    expect(error).toMatchObject({ plugin: 'api' });
    expect(error.message).toContain('depends on "cache"');
  });
});

describe('stop', () => {
  it('closes every plugin even when one throws and another hangs, and reports all failures together', async () => {
    const j = journal();
    const agent = new Agent(
      [
        j.plugin('a'),
        { name: 'hangs', plugin: j.plugin('hangs', { close: 'hang' }), timeout: 30 },
        j.plugin('throws', { beforeClose: 'throw', close: 'throw' }),
        j.plugin('d'),
      ],
      quiet,
    );
    await agent.start();
    j.calls.length = 0;
    const error = await agent.stop().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AgentStopError);
    expect(error).toBeInstanceOf(FlavorkitError);
    const stopError = error as AgentStopError;
    expect(stopError.code).toBe('FK_AGENT_STOP');
    expect(stopError.errors.map((e) => [e.code, e.plugin, e.phase])).toEqual([
      ['FK_PLUGIN_STOP', 'throws', 'beforeClose'],
      ['FK_PLUGIN_STOP', 'throws', 'close'],
      ['FK_PLUGIN_STOP', 'hangs', 'close'],
    ]);
    expect(stopError.errors[2]!.cause).toBeInstanceOf(PluginTimeoutError);
    expect(stopError.message).toContain('throws beforeClose: throws beforeClose broke');
    expect(stopError.message).toContain('throws close: throws close broke');
    expect(stopError.message).toMatch(/hangs close: .*did not finish close within 30 ms/);
    expect(j.calls).toEqual([
      'd.beforeClose',
      'throws.beforeClose',
      'hangs.beforeClose',
      'a.beforeClose',
      'd.close',
      'throws.close',
      'hangs.close',
      'a.close',
    ]);
    expect(agent.status().state).toBe('stopped');
  });

  it('aborts every plugin signal when the agent stops', async () => {
    const j = journal();
    const a = j.plugin('a');
    const agent = new Agent([a], quiet);
    await agent.start();
    expect(a.signal!.aborted).toBe(false);
    await agent.stop();
    expect(a.signal!.aborted).toBe(true);
  });

  it('stops a start in progress and rolls it back', async () => {
    const j = journal();
    const slow: Plugin = { init: () => new Promise((r) => setTimeout(r, 20)) };
    const agent = new Agent([j.plugin('a'), { name: 'slow', plugin: slow }, j.plugin('c')], quiet);
    const starting = agent.start();
    await agent.stop();
    await expect(starting).rejects.toMatchObject({ code: 'FK_AGENT_STATE' });
    expect(j.calls).toEqual(['a.init', 'a.close']);
  });
});
