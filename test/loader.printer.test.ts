import { describe, expect, it } from 'vitest';
import { loaderHost, recordingPrinter } from './helpers/loader-host.js';
import { pluginModule, pluginsDir, writePlugin } from './helpers/plugin-folders.js';

async function folders(): Promise<string> {
  const dir = pluginsDir();
  await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
  await writePlugin(
    dir,
    { name: 'greeter', version: '2.0.0' },
    { code: pluginModule({ acceptable: false }) },
  );
  await writePlugin(
    dir,
    { name: 'bad', version: '1.0.0' },
    { code: pluginModule({ init: 'throw' }) },
  );
  await writePlugin(dir, { name: 'lost', version: '1.0.0', dependencies: { gone: '*' } });
  return dir;
}

const loaderLines = (logs: Array<{ logger: string; level: string; message: string }>) =>
  logs.filter((l) => l.logger === 'loader').map((l) => `${l.level} ${l.message}`);

describe("the loader's output", () => {
  it('is, by default, one log line per skip, block, load and failure', async () => {
    const { t, loader } = await loaderHost(await folders());
    await loader.unload('greeter');
    expect(loaderLines(t.logs)).toEqual([
      'info greeter@2.0.0 skipped: refused itself: isAcceptable() returned false',
      'warn lost blocked: requires gone@*, which is not available',
      expect.stringMatching(/^error bad failed to load: .*init broke on purpose/),
      'info greeter@1.0.0 loaded',
      'info greeter@1.0.0 unloaded',
    ]);
  });

  it('comes from a printer of loader events that an option replaces', async () => {
    const { printer, seen } = recordingPrinter(['skipped', 'blocked', 'failed', 'loaded']);
    const { t } = await loaderHost(await folders(), { printer });
    expect(loaderLines(t.logs)).toEqual([]);
    expect(seen.map(([event, e]) => `${event} ${(e as { name: string }).name}`)).toEqual([
      'skipped greeter',
      'blocked lost',
      'failed bad',
      'loaded greeter',
    ]);
  });

  it('reports a listener that throws, and still calls the others', async () => {
    const dir = pluginsDir();
    const { t, loader } = await loaderHost(dir);
    const heard: string[] = [];
    loader.on('loaded', () => {
      throw new Error('listener broke');
    });
    loader.on('loaded', ({ name }) => heard.push(name));
    await writePlugin(dir, { name: 'late', version: '1.0.0' });
    await loader.load('late');
    expect(heard).toEqual(['late']);
    expect(loaderLines(t.logs)).toContain('error a loader event listener threw: listener broke');
  });
});
