import { describe, expect, it } from 'vitest';
import { loaderHost, nextEvent } from './helpers/loader-host.js';
import { pluginModule, pluginsDir, writePlugin } from './helpers/plugin-folders.js';

describe('loading into a running agent', () => {
  it('loads the chosen versions in dependency order once the agent has started', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, {
      name: 'shouter',
      version: '1.0.0',
      dependencies: { http: '*', greeter: '^1.0.0' },
    });
    await writePlugin(dir, { name: 'greeter', version: '1.2.0' });
    await writePlugin(dir, { name: 'greeter', version: '0.9.0' });
    const { t, loader } = await loaderHost(dir);
    expect(loader.list().map((p) => [p.name, p.version, p.state])).toEqual([
      ['greeter', '1.2.0', 'loaded'],
      ['shouter', '1.0.0', 'loaded'],
    ]);
    expect(t.agent.plugins.slice(-2).map((p) => [p.name, p.state])).toEqual([
      ['greeter', 'ok'],
      ['shouter', 'ok'],
    ]);
    expect((await t.request('GET', '/shouter')).body).toEqual({
      name: 'shouter',
      version: '1.0.0',
      deps: { greeter: 'greeter@1.2.0 greets shouter' },
    });
  });

  it.each(['throw', 'hang'] as const)(
    'rolls back a plugin whose init %ss, alone, and keeps serving',
    async (behaviour) => {
      const dir = pluginsDir();
      await writePlugin(dir, { name: 'good', version: '1.0.0' });
      await writePlugin(
        dir,
        { name: 'bad', version: '1.0.0' },
        { code: pluginModule({ init: behaviour }) },
      );
      const { t, loader } = await loaderHost(dir, { timeout: 300 });
      const bad = loader.list().find((p) => p.name === 'bad')!;
      expect(bad.state).toBe('failed');
      expect(bad.reason).toMatch(
        behaviour === 'throw' ? /init broke on purpose/ : /did not finish init within 300 ms/,
      );
      expect(t.agent.plugins.map((p) => p.name)).not.toContain('bad');
      expect((await t.request('GET', '/readiness')).status).toBe(200);
      expect((await t.request('GET', '/good')).status).toBe(200);
      expect((await t.request('GET', '/bad')).status).toBe(404);
      expect(loader.counts.failures).toBe(1);
    },
  );
});

describe('unloading', () => {
  it('refuses while dependents are loaded; with force, unloads dependents first, in reverse order', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'base', version: '1.0.0' });
    await writePlugin(dir, {
      name: 'mid',
      version: '1.0.0',
      dependencies: { http: '*', base: '*' },
    });
    await writePlugin(dir, {
      name: 'top',
      version: '1.0.0',
      dependencies: { http: '*', mid: '*' },
    });
    const { t, loader } = await loaderHost(dir);
    await expect(loader.unload('base')).rejects.toThrow('base is required by loaded mid, top');
    const order: string[] = [];
    loader.on('unloaded', ({ name }) => order.push(name));
    await loader.unload('base', { force: true });
    expect(order).toEqual(['top', 'mid', 'base']);
    expect(loader.list().map((p) => p.state)).toEqual(['unloaded', 'unloaded', 'unloaded']);
    expect((await t.request('GET', '/base')).status).toBe(404);
    expect(loader.counts.unloaded).toBe(3);
  });

  it('serves the loader admin routes, behind the admin protection', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'base', version: '1.0.0' });
    await writePlugin(dir, {
      name: 'top',
      version: '1.0.0',
      dependencies: { http: '*', base: '*' },
    });
    const { t } = await loaderHost(dir);
    const listing = await t.request<{ plugins: Array<{ name: string; state: string }> }>(
      'GET',
      '/plugins',
    );
    expect(listing.body.plugins.map((p) => p.state)).toEqual(['loaded', 'loaded']);
    expect((await t.request('DELETE', '/plugins/base')).status).toBe(409);
    expect((await t.request('DELETE', '/plugins/base?force=true')).body).toMatchObject({
      state: 'unloaded',
    });
    expect((await t.request('POST', '/plugins/top/load')).body).toMatchObject({ state: 'loaded' });
    expect((await t.request('POST', '/plugins/nothing/load')).status).toBe(404);
    const metrics = (await t.request<string>('GET', '/metrics')).body;
    expect(metrics).toMatch(/^flavorkit_loader_loaded_total 4$/m);
    expect(metrics).toMatch(/^flavorkit_loader_unloaded_total 2$/m);
  });
});

describe('reloading', () => {
  it('keeps the old version serving when the new one fails to start', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir);
    await writePlugin(
      dir,
      { name: 'greeter', version: '1.1.0' },
      { code: pluginModule({ init: 'throw' }) },
    );
    await expect(loader.reload('greeter')).rejects.toThrow(
      /greeter@1.1.0 failed; 1.0.0 keeps serving/,
    );
    expect((await t.request('GET', '/greeter')).body).toMatchObject({ version: '1.0.0' });
    expect(loader.list()[0]).toMatchObject({ version: '1.0.0', state: 'loaded' });
    expect(t.agent.status().state).toBe('ok');
  });

  it('starts the new version, then closes the old, and re-wires loaded dependents', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    await writePlugin(dir, {
      name: 'fan',
      version: '1.0.0',
      dependencies: { http: '*', greeter: '^1.0.0' },
    });
    const { t, loader } = await loaderHost(dir);
    await writePlugin(dir, { name: 'greeter', version: '1.3.0' });
    await loader.reload('greeter');
    expect((await t.request('GET', '/greeter')).body).toMatchObject({ version: '1.3.0' });
    expect((await t.request('GET', '/fan')).body).toMatchObject({
      deps: { greeter: 'greeter@1.3.0 greets fan' },
    });
  });

  it('watches the directory and picks up a new version', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir, { watch: true, debounce: 50 });
    const reloaded = nextEvent(loader, 'reloaded');
    await writePlugin(dir, { name: 'greeter', version: '1.4.0' });
    expect(await reloaded).toEqual({ name: 'greeter', from: '1.0.0', to: '1.4.0' });
    expect((await t.request('GET', '/greeter')).body).toMatchObject({ version: '1.4.0' });
    const loaded = nextEvent(loader, 'loaded', (e) => e.name === 'newcomer');
    await writePlugin(dir, { name: 'newcomer', version: '0.1.0' });
    await loaded;
    expect((await t.request('GET', '/newcomer')).status).toBe(200);
  });
});
