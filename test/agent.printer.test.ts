import { describe, expect, it } from 'vitest';
import { Agent, type AgentEventName, logPrinter, type Plugin } from '../src/index.js';
import { captureLines, journal } from './helpers/recording.js';

const noop = (): Plugin => ({ init: () => undefined });

describe('events and printers', () => {
  it('announces a rollback as rollingBack then rolledBack, before startFailed', async () => {
    const j = journal();
    const agent = new Agent([j.plugin('a'), j.plugin('b', { init: 'throw' })], {
      printer: () => undefined,
    });
    const heard: AgentEventName[] = [];
    for (const name of ['rollingBack', 'rolledBack', 'startFailed'] as const) {
      agent.on(name, () => heard.push(name));
    }
    let cause: Error | undefined;
    agent.on('rollingBack', ({ error }) => (cause = error));
    await expect(agent.start()).rejects.toMatchObject({ plugin: 'b' });
    expect(heard).toEqual(['rollingBack', 'rolledBack', 'startFailed']);
    expect(cause).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'b' });
    expect(j.calls).toEqual(['a.init', 'b.init', 'a.close']);
  });

  it('prints through the printer given in the options instead of the log', async () => {
    const { stream, lines } = captureLines();
    const printed: string[] = [];
    const agent = new Agent([{ name: 'db', plugin: noop() }], {
      log: { stream, format: 'json' },
      printer: (source) => {
        source.on('started', () => printed.push(`started ${source.plugins.length}`));
        source.on('stopped', () => printed.push('stopped'));
      },
    });
    await agent.start();
    await agent.stop();
    expect(printed).toEqual(['started 1', 'stopped']);
    expect(lines).toEqual([]);
  });

  it('reports a listener that throws through the printer, and still calls the others', async () => {
    const { stream, lines } = captureLines();
    const agent = new Agent([noop()], { log: { stream, format: 'json' }, printer: logPrinter });
    let heard = false;
    agent.on('started', () => {
      throw new Error('listener broke');
    });
    agent.on('started', () => (heard = true));
    await agent.start();
    await agent.stop();
    expect(heard).toBe(true);
    expect(
      lines.some((l) => l.includes('an event listener threw') && l.includes('listener broke')),
    ).toBe(true);
  });

  it('summarises the timeline past 50 plugins at info, and prints it in full at debug', async () => {
    const plugins = Array.from({ length: 60 }, (_, i) => ({ name: `p${i}`, plugin: noop() }));
    for (const [level, perPlugin] of [
      ['info', false],
      ['debug', true],
    ] as const) {
      const { stream, lines } = captureLines();
      const agent = new Agent(plugins, { log: { stream, format: 'json', level } });
      await agent.start();
      await agent.stop();
      const messages = lines.map((l) => (JSON.parse(l) as { message: string }).message);
      const timeline = messages.filter((m) => /^p\d+\s+init/.test(m));
      if (perPlugin) expect(timeline).toHaveLength(60);
      else {
        expect(timeline.length).toBeLessThanOrEqual(10);
        expect(messages.some((m) => m.startsWith('60 plugins (60 ok)'))).toBe(true);
      }
      expect(messages.some((m) => /^started in/.test(m))).toBe(true);
    }
  });
});
