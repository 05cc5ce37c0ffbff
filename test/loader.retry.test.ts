import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loaderHost, nextEvent } from './helpers/loader-host.js';
import { pluginModule, pluginsDir, writePlugin } from './helpers/plugin-folders.js';

describe('after a failure', () => {
  it('lists the version that ran after a failed reload and an unload, and load() tries again', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir);
    const broken = await writePlugin(
      dir,
      { name: 'greeter', version: '1.1.0' },
      { code: pluginModule({ init: 'throw' }) },
    );
    await expect(loader.reload('greeter')).rejects.toThrow(/1\.0\.0 keeps serving/);
    await loader.unload('greeter');
    expect(loader.list()[0]).toMatchObject({ version: '1.0.0', state: 'unloaded' });
    expect(loader.list()[0]!.reason).toBeUndefined();

    // a later load tries the version again: a fresh failure, not the old reason
    const failed = nextEvent(loader, 'failed');
    await expect(loader.load('greeter')).rejects.toThrow(
      /greeter@1\.1\.0 failed to load: .*init broke on purpose/,
    );
    expect(await failed).toMatchObject({ name: 'greeter', version: '1.1.0' });
    expect(loader.counts.failures).toBe(2);

    // once fixed, it loads
    writeFileSync(join(broken, 'index.mjs'), pluginModule());
    await loader.load('greeter');
    expect((await t.request('GET', '/greeter')).body).toMatchObject({ version: '1.1.0' });
    expect(loader.list()[0]).toMatchObject({ version: '1.1.0', state: 'loaded' });
  });

  it('tries a plugin that failed at start again on load(), once its folder is fixed', async () => {
    const dir = pluginsDir();
    const folder = await writePlugin(
      dir,
      { name: 'flaky', version: '1.0.0' },
      { code: pluginModule({ init: 'throw' }) },
    );
    const { t, loader } = await loaderHost(dir);
    expect(loader.list()[0]).toMatchObject({ state: 'failed' });
    writeFileSync(join(folder, 'index.mjs'), pluginModule());
    await loader.load('flaky');
    expect((await t.request('GET', '/flaky')).status).toBe(200);
  });
});

describe('two folders with the same version', () => {
  it('are both refused, each with a reason naming both folders; other versions still load', async () => {
    const dir = pluginsDir();
    const a = await writePlugin(
      dir,
      { name: 'greeter', version: '1.0.0' },
      { folder: 'greeter-a' },
    );
    const b = await writePlugin(
      dir,
      { name: 'greeter', version: '1.0.0' },
      { folder: 'greeter-b' },
    );
    await writePlugin(dir, { name: 'greeter', version: '0.9.0' });
    const { t, loader } = await loaderHost(dir);
    const reason = `greeter@1.0.0 is in more than one folder (${a} and ${b}): keep one of them`;
    expect(loader.refusedFolders()).toEqual([
      { dir: a, reason },
      { dir: b, reason },
    ]);
    expect((await t.request('GET', '/greeter')).body).toMatchObject({ version: '0.9.0' });
    const listing = await t.request<{ refused: unknown[] }>('GET', '/plugins');
    expect(listing.body.refused).toHaveLength(2);
  });

  it('refuse a plugin with no other version, saying why', async () => {
    const dir = pluginsDir();
    const a = await writePlugin(dir, { name: 'twin', version: '1.0.0' }, { folder: 'twin-a' });
    await writePlugin(dir, { name: 'twin', version: '1.0.0' }, { folder: 'twin-b' });
    const { loader } = await loaderHost(dir);
    expect(loader.list()).toEqual([
      {
        name: 'twin',
        state: 'failed',
        reason: expect.stringContaining(`twin@1.0.0 is in more than one folder (${a} and `),
        skipped: [],
        version: undefined,
      },
    ]);
    await expect(loader.load('twin')).rejects.toThrow('is in more than one folder');
  });
});

describe('watch mode', () => {
  it('keeps a running version whose folder was copied, refusing the ambiguous reload', async () => {
    const dir = pluginsDir();
    const folder = await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir, { watch: true, debounce: 50 });
    const refused = nextEvent(loader, 'reloadRefused');
    cpSync(folder, join(dir, 'greeter-copy'), { recursive: true });
    expect((await refused).reason).toContain('greeter@1.0.0 is in more than one folder');
    expect(loader.list()[0]).toMatchObject({ version: '1.0.0', state: 'loaded' });
    expect((await t.request('GET', '/greeter')).status).toBe(200);
  });

  it('unloads a plugin once no folder holds it', async () => {
    const dir = pluginsDir();
    const folder = await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir, { watch: true, debounce: 50 });
    const unloaded = nextEvent(loader, 'unloaded');
    rmSync(folder, { recursive: true });
    expect(await unloaded).toEqual({ name: 'greeter', version: '1.0.0' });
    expect((await t.request('GET', '/greeter')).status).toBe(404);
  });
});

describe('watch mode, attacked', () => {
  it('survives its directory being removed: watchFailed, the plugins keep serving', async () => {
    const dir = pluginsDir();
    await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir, { watch: true, debounce: 50 });
    const failed = nextEvent(loader, 'watchFailed');
    rmSync(dir, { recursive: true });
    expect((await failed).error.message).toMatch(/plugins directory .* cannot be read|ENOENT/);
    expect((await t.request('GET', '/readiness')).status).toBe(200);
    expect((await t.request('GET', '/greeter')).status).toBe(200);
    expect(t.logs.some((l) => l.level === 'error' && /sync failed/.test(l.message))).toBe(true);
  });
});
