import { describe, expect, it } from 'vitest';
import { Agent, PluginStartError, type Plugin } from '../src/index.js';
import { toError } from '../src/errors.js';
import { quiet } from './helpers/recording.js';

const thrown: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 0],
  ['an empty string', ''],
  ['a plain object', { code: 'E_DB', retry: false }],
];

async function startError(agent: Agent): Promise<PluginStartError> {
  return agent.start().then(
    () => expect.unreachable('start() resolved'),
    (err: unknown) => err as PluginStartError,
  );
}

describe('a lifecycle call that throws something other than an Error', () => {
  it.each(thrown)('fails the start when init rejects with %s', async (_, value) => {
    const agent = new Agent([{ name: 'db', plugin: { init: () => Promise.reject(value) } }], quiet);
    const error = await startError(agent);
    expect(error).toBeInstanceOf(PluginStartError);
    expect(error).toMatchObject({ plugin: 'db', phase: 'init' });
    expect(agent.status().state).toBe('error');
    expect(agent.plugins[0]!.state).toBe('failed');
    expect(agent.plugins[0]!.error).toBeTruthy();
  });

  it.each(thrown)('fails the start when afterInit throws %s synchronously', async (_, value) => {
    const closed: string[] = [];
    const plugin: Plugin = {
      init: () => undefined,
      afterInit: () => {
        throw value;
      },
      close: () => void closed.push('db'),
    };
    const error = await startError(new Agent([{ name: 'db', plugin }], quiet));
    expect(error).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'db', phase: 'afterInit' });
    expect(closed).toEqual(['db']);
  });

  it('degrades the agent when an optional plugin rejects with undefined', async () => {
    const agent = new Agent(
      [{ name: 'cache', optional: true, plugin: { init: () => Promise.reject(undefined) } }],
      quiet,
    );
    await agent.start();
    expect(agent.status().state).toBe('degraded');
    expect(agent.plugins[0]!.state).toBe('failed');
    await agent.stop();
  });

  it('reports a close that rejects with undefined as a stop failure', async () => {
    const agent = new Agent(
      [{ name: 'db', plugin: { init: () => undefined, close: () => Promise.reject(undefined) } }],
      quiet,
    );
    await agent.start();
    await expect(agent.stop()).rejects.toMatchObject({ code: 'FK_AGENT_STOP' });
    expect(agent.plugins[0]!.state).toBe('failed');
  });
});

describe('toError', () => {
  it('keeps an Error as it is', () => {
    const error = new TypeError('bad');
    expect(toError(error)).toBe(error);
  });

  it('says that undefined or null was thrown, and keeps the value as cause', () => {
    expect(toError(undefined).message).toContain('undefined');
    expect(toError(null).message).toContain('null');
    expect(toError(null).cause).toBeNull();
  });

  it('spells a plain object as its JSON, bounded, never [object Object]', () => {
    expect(toError({ code: 'E_DB' }).message).toBe('{"code":"E_DB"}');
    const long = toError({ data: 'x'.repeat(10_000) }).message;
    expect(long.length).toBeLessThanOrEqual(201);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toError(circular).message).not.toContain('[object Object]');
    expect(toError(circular).message).toBeTruthy();
  });
});
