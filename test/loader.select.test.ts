import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { discoverPlugins, type Discovery } from '../src/loader/discover.js';
import { PLUGIN_API_VERSION } from '../src/loader/index.js';
import { resolveDependencies } from '../src/loader/resolve.js';
import { type Chosen, selectVersion } from '../src/loader/select.js';
import type { AgentView } from '../src/index.js';
import { pluginModule, pluginsDir, writePlugin } from './helpers/plugin-folders.js';

const host = { apiVersion: PLUGIN_API_VERSION, agent: {} as AgentView };
const select = (d: Discovery, name: string, requireIntegrity = false) =>
  selectVersion(d.byName.get(name)!, {
    host,
    requireIntegrity,
    cacheKey: String(Math.random()),
    timeoutMs: 5_000,
  });

describe('choosing a version', () => {
  it('takes the newest acceptable version, falling back, and keeps each skipped reason', async () => {
    const root = pluginsDir();
    await writePlugin(root, { name: 'greeter', version: '1.0.0' });
    await writePlugin(root, { name: 'greeter', version: '1.5.0' });
    await writePlugin(
      root,
      { name: 'greeter', version: '2.0.0' },
      { code: pluginModule({ acceptable: false }) },
    );
    await writePlugin(root, { name: 'greeter', version: '3.0.0', host: '^2.0.0' });
    await writePlugin(
      root,
      { name: 'greeter', version: '2.5.0' },
      { code: 'export const nothing = 1;' },
    );
    await writePlugin(
      root,
      { name: 'greeter', version: '2.6.0' },
      { code: 'export function createPlugin( {' },
    );
    const { chosen, skipped } = await select(await discoverPlugins(root), 'greeter');
    expect(chosen!.manifest.version).toBe('1.5.0');
    expect(skipped.map((s) => [s.version, s.reason])).toEqual([
      ['3.0.0', 'needs host API ^2.0.0; this host has 1.0.0'],
      ['2.6.0', expect.stringMatching(/^import of index\.mjs failed: /)],
      ['2.5.0', 'index.mjs exports no createPlugin function (named or default)'],
      ['2.0.0', 'refused itself: isAcceptable() returned false'],
    ]);
  });

  it('skips a version whose files do not match its integrity, or that has none when required', async () => {
    const root = pluginsDir();
    const tampered = await writePlugin(
      root,
      { name: 'greeter', version: '2.0.0' },
      { integrity: true },
    );
    writeFileSync(join(tampered, 'index.mjs'), pluginModule() + '\n// changed after hashing\n');
    await writePlugin(root, { name: 'greeter', version: '1.1.0' });
    await writePlugin(root, { name: 'greeter', version: '1.0.0' }, { integrity: true });
    const d = await discoverPlugins(root);
    const loose = await select(d, 'greeter');
    expect(loose.chosen!.manifest.version).toBe('1.1.0');
    expect(loose.skipped[0]!.reason).toMatch(/^integrity mismatch: plugin.json says sha256-/);
    const strict = await select(d, 'greeter', true);
    expect(strict.chosen!.manifest.version).toBe('1.0.0');
    expect(strict.skipped[1]!.reason).toBe('has no integrity field, and this loader requires one');
  });
});

describe('refusing manifests', () => {
  it('refuses a main that escapes its folder, by path or by symbolic link', async () => {
    const root = pluginsDir();
    writeFileSync(join(root, 'outside.mjs'), pluginModule());
    await writePlugin(root, { name: 'escape', version: '1.0.0', main: '../outside.mjs' });
    const linked = await writePlugin(root, { name: 'linked', version: '1.0.0', main: 'link.mjs' });
    symlinkSync(join(root, 'outside.mjs'), join(linked, 'link.mjs'));
    const { byName, refused } = await discoverPlugins(root);
    expect(byName.size).toBe(0);
    expect(refused.map((r) => r.reason)).toEqual([
      expect.stringContaining('main "../outside.mjs" resolves outside the plugin folder'),
      expect.stringContaining('main "link.mjs" resolves outside the plugin folder'),
    ]);
  });

  it.each([
    ['not JSON', '{name: greeter}', /is not valid JSON/],
    ['an array', '[]', /must be a JSON object/],
    ['unknown keys', { extra: 1, another: 2 }, /unknown keys: extra, another/],
    ['a bad name', { name: 'Greeter!' }, /name "Greeter!" must match/],
    ['a bad version', { version: 'v1' }, /version "v1" is not a semantic version/],
    ['a bad host range', { host: 'latest!' }, /host "latest!" is not a semver range/],
    ['an absolute main', { main: '/etc/passwd.js' }, /must be a relative path/],
    ['a bad dependency range', { dependencies: { http: 'soon' } }, /dependencies.http: "soon"/],
    ['a self dependency', { dependencies: { greeter: '*' } }, /cannot depend on itself/],
    ['a bad integrity', { integrity: 'md5-abc' }, /integrity must be "sha256-"/],
    ['an oversized manifest', { description: 'x'.repeat(70_000) }, /bytes; the limit is 65536/],
  ])('refuses a manifest with %s, saying why', async (_, change, reason) => {
    const root = pluginsDir();
    const dir = await writePlugin(root, { name: 'greeter', version: '1.0.0' });
    const text =
      typeof change === 'string'
        ? change
        : JSON.stringify({
            name: 'greeter',
            version: '1.0.0',
            host: '^1.0.0',
            main: 'index.mjs',
            ...change,
          });
    writeFileSync(join(dir, 'plugin.json'), text);
    const { byName, refused } = await discoverPlugins(root);
    expect(byName.size).toBe(0);
    expect(refused[0]!.reason).toMatch(reason);
  });
});

describe('resolving dependencies', () => {
  it('blocks missing and out-of-range dependencies, transitively, refuses cycles, and orders the rest', async () => {
    const root = pluginsDir();
    const plugin = (name: string, dependencies: Record<string, string> = {}, version = '1.0.0') =>
      writePlugin(root, { name, version, dependencies: { http: '*', ...dependencies } });
    await plugin('base');
    await plugin('mid', { base: '^1.0.0' });
    await plugin('top', { mid: '^1.0.0' });
    await plugin('lonely', { missing: '^1.0.0' });
    await plugin('needs-lonely', { lonely: '*' });
    await plugin('old-base-fan', { base: '^2.0.0' });
    await plugin('ping', { pong: '*' });
    await plugin('pong', { ping: '*' });
    const d = await discoverPlugins(root);
    const chosen = new Map<string, Chosen>();
    for (const name of d.byName.keys()) chosen.set(name, (await select(d, name)).chosen!);
    const { order, blocked, conflicts } = resolveDependencies(chosen, new Set(['http']));
    expect(order).toEqual(['base', 'mid', 'top']);
    expect(Object.fromEntries(blocked)).toEqual({
      lonely: 'requires missing@^1.0.0, which is not available',
      'needs-lonely':
        'requires lonely, which cannot be loaded: requires missing@^1.0.0, which is not available',
      'old-base-fan': 'requires base@^2.0.0, but base@1.0.0 was chosen',
      ping: 'dependency cycle: ping -> pong -> ping',
      pong: 'dependency cycle: ping -> pong -> ping',
    });
    expect(conflicts).toBe(1);
  });
});
