import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';
import { pluginsDir, writePlugin } from '../../test/helpers/plugin-folders.js';
import { testAgent } from '../../src/testing/index.js';
import { QuietHostFlavor } from './flavor.js';

const cli = fileURLToPath(new URL('../../src/cli/flavorkit.ts', import.meta.url));
const plugins = fileURLToPath(new URL('./plugins', import.meta.url));

it('hosts the example plugins: the newest acceptable greeter, and the shouter on top of it', async () => {
  const child = runTs(cli, ['run', '--plugins', plugins], {
    HOST_HTTP_PORT: '0',
    HOST_LOG_FORMAT: 'json',
  });
  await child.waitFor(/shouter@1\.0\.0 loaded/);
  const url = listeningUrl(child);

  expect(await (await fetch(`${url}/greeter?name=Ada`)).json()).toEqual({
    message: 'Hello, Ada!',
    version: '1.0.0',
  });
  expect(await (await fetch(`${url}/shout?name=Ada`)).json()).toEqual({ message: 'HELLO, ADA!' });
  const listing = (await (await fetch(`${url}/plugins`)).json()) as {
    plugins: Array<{ name: string; skipped: Array<{ version: string; reason: string }> }>;
  };
  expect(listing.plugins[0]!.skipped.map((s) => s.version)).toEqual(['3.0.0', '2.0.0']);

  child.proc.kill('SIGTERM');
  expect((await child.exited).code).toBe(0);
});

it('checks the integrity of every example plugin', async () => {
  for (const folder of ['greeter-1.0.0', 'greeter-2.0.0', 'greeter-3.0.0', 'shouter-1.0.0']) {
    const child = runTs(cli, ['plugin', 'check', `${plugins}/${folder}`]);
    expect((await child.exited).code).toBe(0);
    expect(child.output()).toContain('integrity ok');
  }
});

it('builds a host of its own with a loader printer that prints problems only', async () => {
  const dir = pluginsDir();
  await writePlugin(dir, { name: 'fine', version: '1.0.0' });
  await writePlugin(dir, { name: 'needy', version: '1.0.0', dependencies: { absent: '^1.0.0' } });
  const t = await testAgent(new QuietHostFlavor(), { config: { loader: { dir } } });
  await t.flavor.loader.loaded;
  expect((await t.request('GET', '/fine')).status).toBe(200);
  expect(t.logs.filter((l) => l.logger === 'loader').map((l) => l.message)).toEqual([
    'needy blocked: requires absent@^1.0.0, which is not available',
  ]);
});
