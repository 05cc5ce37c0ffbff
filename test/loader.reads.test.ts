import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loaderHost, recordingPrinter } from './helpers/loader-host.js';
import { pluginsDir, writePlugin } from './helpers/plugin-folders.js';

/** Breaks a folder's manifest on disk: a full scan refuses it, a targeted read never sees it. */
function breakManifest(folder: string): void {
  writeFileSync(join(folder, 'plugin.json'), '{ not json');
}

describe('reading only what an operation needs', () => {
  it('load(name) finds folders added after start, its dependencies included, without a full scan', async () => {
    const dir = pluginsDir();
    const other = await writePlugin(dir, { name: 'other', version: '1.0.0' });
    const { printer, seen } = recordingPrinter(['refused']);
    const { t, loader } = await loaderHost(dir, { printer });
    breakManifest(other);
    await writePlugin(dir, { name: 'helper', version: '1.0.0' });
    await writePlugin(dir, {
      name: 'newcomer',
      version: '0.1.0',
      dependencies: { http: '*', helper: '^1.0.0' },
    });
    await loader.load('newcomer');
    expect((await t.request('GET', '/newcomer')).body).toMatchObject({
      version: '0.1.0',
      deps: { helper: 'helper@1.0.0 greets newcomer' },
    });
    // the other plugin's folder was not read again
    expect(loader.refusedFolders()).toEqual([]);
    expect(seen).toEqual([]);
    // a full scan does read it
    await loader.discover();
    expect(loader.refusedFolders().map((r) => r.dir)).toEqual([other]);
  });

  it("reload(name) reads only that plugin's folders (and new ones)", async () => {
    const dir = pluginsDir();
    const other = await writePlugin(dir, { name: 'other', version: '1.0.0' });
    await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { t, loader } = await loaderHost(dir);
    breakManifest(other);
    await writePlugin(dir, { name: 'greeter', version: '1.1.0' });
    await loader.reload('greeter');
    expect((await t.request('GET', '/greeter')).body).toMatchObject({ version: '1.1.0' });
    expect(loader.refusedFolders()).toEqual([]);
    expect((await t.request('GET', '/other')).status).toBe(200);
  });

  it("notices a plugin's own manifest changed in place on reload", async () => {
    const dir = pluginsDir();
    const greeter = await writePlugin(dir, { name: 'greeter', version: '1.0.0' });
    const { loader } = await loaderHost(dir);
    breakManifest(greeter);
    await expect(loader.reload('greeter')).rejects.toThrow(
      /greeter: no loadable version any more .*; 1\.0\.0 keeps serving/,
    );
    expect(loader.refusedFolders()).toEqual([
      { dir: greeter, reason: expect.stringContaining('is not valid JSON') },
    ]);
    expect(loader.list()[0]).toMatchObject({ version: '1.0.0', state: 'loaded' });
  });
});
