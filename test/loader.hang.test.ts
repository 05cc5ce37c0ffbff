import { describe, expect, it } from 'vitest';
import { HostFlavor } from '../flavors/host/index.js';
import { testAgent } from '../src/testing/index.js';
import { pluginModule, pluginsDir, writePlugin } from './helpers/plugin-folders.js';

const HANGS = {
  import: `await new Promise(() => {});\n${pluginModule()}`,
  isAcceptable: `export function isAcceptable() { return new Promise(() => {}); }\n${pluginModule()}`,
  createPlugin: `export function createPlugin() { return new Promise(() => {}); }`,
};

describe('a plugin folder that hangs', () => {
  it.each(Object.keys(HANGS) as Array<keyof typeof HANGS>)(
    'in %s is passed over with the reason, falling back, and the host keeps serving',
    async (step) => {
      const dir = pluginsDir();
      await writePlugin(dir, { name: 'stuck', version: '2.0.0' }, { code: HANGS[step] });
      await writePlugin(dir, { name: 'stuck', version: '1.0.0' });
      await writePlugin(dir, { name: 'fine', version: '1.0.0' });
      // long enough for the good versions' imports on a busy machine
      const t = await testAgent(new HostFlavor(), { config: { loader: { dir, timeout: 600 } } });
      await t.flavor.loader.loaded;
      const loader = t.flavor.loader.loader!;
      const stuck = loader.list().find((p) => p.name === 'stuck')!;
      if (step === 'createPlugin') {
        // chosen, then failed when made: the reason names the step
        expect(stuck).toMatchObject({ state: 'failed', version: '2.0.0' });
        expect(stuck.reason).toContain('timed out in createPlugin');
      } else {
        expect(stuck).toMatchObject({ state: 'loaded', version: '1.0.0' });
        expect(stuck.skipped[0]!.reason).toContain(`timed out in ${step}`);
      }
      expect(loader.list().find((p) => p.name === 'fine')!.state).toBe('loaded');
      // the queue is not wedged: a later admin operation answers
      expect((await t.request('DELETE', '/plugins/fine')).status).toBe(200);
      expect((await t.request('GET', '/readiness')).status).toBe(200);
    },
  );
});
