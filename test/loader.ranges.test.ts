import { describe, expect, it } from 'vitest';
import { checkManifest } from '../src/loader/index.js';
import { loaderHost, nextEvent, recordingPrinter } from './helpers/loader-host.js';
import { pluginModule, pluginsDir, writePlugin } from './helpers/plugin-folders.js';

const needs = (deps: Record<string, string>) => ({ http: '*', ...deps });

describe('dependency ranges hold while plugins run', () => {
  it('does not hand over an optional dependency whose loaded version is out of range', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'base', version: '2.0.0' });
    await writePlugin(dir, {
      name: 'fan',
      version: '1.0.0',
      optionalDependencies: { base: '^1.0.0' },
    });
    await writePlugin(dir, {
      name: 'friend',
      version: '1.0.0',
      optionalDependencies: { base: '^2.0.0' },
    });
    const { t } = await loaderHost(dir);
    expect((await t.request<{ deps: object }>('GET', '/fan')).body.deps).toEqual({});
    expect((await t.request('GET', '/friend')).body).toMatchObject({
      deps: { base: 'base@2.0.0 greets friend' },
    });
  });

  it('refuses to reload a dependency to a version outside a loaded dependent range', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'base', version: '1.0.0' });
    await writePlugin(dir, {
      name: 'top',
      version: '1.0.0',
      dependencies: needs({ base: '^1.0.0' }),
    });
    const { t, loader } = await loaderHost(dir);
    await writePlugin(dir, { name: 'base', version: '2.0.0' });
    const refused = nextEvent(loader, 'reloadRefused');
    const error = await loader.reload('base').catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'FK_LOADER', status: 409 });
    expect(String(error)).toMatch(/base@2\.0\.0 is outside \^1\.0\.0, which loaded top requires/);
    expect(await refused).toMatchObject({ name: 'base', version: '2.0.0', running: '1.0.0' });
    expect(loader.list().map((p) => [p.name, p.version, p.state])).toEqual([
      ['base', '1.0.0', 'loaded'],
      ['top', '1.0.0', 'loaded'],
    ]);
    expect((await t.request('GET', '/top')).body).toMatchObject({
      deps: { base: 'base@1.0.0 greets top' },
    });
  });

  it('in watch mode, refuses a new dependency version outside a loaded dependent range', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'base', version: '1.0.0' });
    await writePlugin(dir, {
      name: 'top',
      version: '1.0.0',
      dependencies: needs({ base: '~1.0.0' }),
    });
    const { t, loader } = await loaderHost(dir, { watch: true, debounce: 50 });
    const refused = nextEvent(loader, 'reloadRefused');
    await writePlugin(dir, { name: 'base', version: '1.1.0' });
    expect(await refused).toMatchObject({ name: 'base', version: '1.1.0', running: '1.0.0' });
    expect((await t.request('GET', '/base')).body).toMatchObject({ version: '1.0.0' });
    expect(loader.list()[0]).toMatchObject({ name: 'base', state: 'loaded', version: '1.0.0' });
  });

  it('guards an unload by what the loaded versions use, not by the versions chosen since', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'base', version: '1.0.0' });
    await writePlugin(dir, { name: 'top', version: '1.0.0', dependencies: needs({ base: '*' }) });
    const { loader } = await loaderHost(dir);
    // a newer top that no longer needs base is on disk, but top@1.0.0 still runs on base
    await writePlugin(dir, { name: 'top', version: '2.0.0' });
    await loader.discover();
    await expect(loader.unload('base')).rejects.toThrow('base is required by loaded top');
    await loader.reload('top');
    await loader.unload('base');
    expect(loader.list().map((p) => [p.name, p.version, p.state])).toEqual([
      ['base', '1.0.0', 'unloaded'],
      ['top', '2.0.0', 'loaded'],
    ]);
  });

  it('blocks a plugin whose dependency failed in init, with the reason and an event', async () => {
    const dir = pluginsDir();
    await writePlugin(
      dir,
      { name: 'base', version: '1.0.0' },
      { code: pluginModule({ init: 'throw' }) },
    );
    await writePlugin(dir, { name: 'top', version: '1.0.0', dependencies: needs({ base: '*' }) });
    const { printer, seen } = recordingPrinter(['blocked', 'failed']);
    const { loader } = await loaderHost(dir, { printer });
    const top = loader.list().find((p) => p.name === 'top')!;
    expect(top.state).toBe('blocked');
    expect(top.reason).toMatch(/^requires base, which cannot be loaded: .*init broke on purpose/);
    // base failed once, top was blocked by it, and base was not tried a second time for top
    expect(seen.map(([event, e]) => [event, (e as { name: string }).name])).toEqual([
      ['failed', 'base'],
      ['blocked', 'top'],
    ]);
    expect(loader.counts.failures).toBe(1);
    await expect(loader.load('top')).rejects.toMatchObject({ status: 409 });
    expect(seen.at(-1)).toEqual(['blocked', { name: 'top', reason: expect.any(String) }]);
  });

  it('loads a dependency called constructor, and refuses __proto__ and toString as names', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'constructor', version: '1.2.0' });
    await writePlugin(dir, {
      name: 'top',
      version: '1.0.0',
      dependencies: needs({ constructor: '^1.0.0' }),
      optionalDependencies: { missing: '*' },
    });
    const { t, loader } = await loaderHost(dir);
    expect(loader.list().map((p) => [p.name, p.state])).toEqual([
      ['constructor', 'loaded'],
      ['top', 'loaded'],
    ]);
    expect((await t.request('GET', '/top')).body).toMatchObject({
      deps: { constructor: 'constructor@1.2.0 greets top' },
    });
    await expect(loader.unload('constructor')).rejects.toThrow('required by loaded top');
    for (const name of ['__proto__', 'tostring', 'hasownproperty']) {
      expect((await t.request('POST', `/plugins/${name}/load`)).status).toBe(404);
    }
    const base = { name: 'x', version: '1.0.0', host: '*', main: 'index.mjs' };
    for (const name of ['__proto__', 'toString']) {
      const manifest = JSON.parse(
        JSON.stringify(base).replace('}', `,"dependencies":{"${name}":"*"}}`),
      );
      expect(() => checkManifest(manifest)).toThrow(`dependencies: "${name}" is not a plugin name`);
    }
  });
});
