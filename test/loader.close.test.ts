import { describe, expect, it } from 'vitest';
import { HostFlavor } from '../flavors/host/index.js';
import { Agent } from '../src/index.js';
import { pluginsDir, writePlugin } from './helpers/plugin-folders.js';

const watchers = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;

describe('a host stopped during its first load', () => {
  it('does not start watching the plugins directory after the stop, so nothing keeps the process alive', async () => {
    const dir = pluginsDir();
    // its init outlasts the start: the first load is still running when the stop comes
    await writePlugin(
      dir,
      { name: 'slow', version: '1.0.0', dependencies: {} },
      {
        code: 'export function createPlugin() { return { init() { return new Promise((r) => setTimeout(r, 300)); } }; }',
      },
    );
    const before = watchers();
    const host = new HostFlavor();
    const agent = new Agent(host, {
      name: 'closing',
      env: {},
      config: { http: { port: 0 }, loader: { dir, watch: true } },
      log: { level: 'error' },
    });
    await agent.start();
    await agent.stop();
    expect(watchers()).toBe(before);
    // and a later call does not start it either
    host.loader.loader!.watch();
    expect(watchers()).toBe(before);
  });
});
