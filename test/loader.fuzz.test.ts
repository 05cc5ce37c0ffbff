import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { discoverPlugins } from '../src/loader/discover.js';
import { checkManifest, ManifestError } from '../src/loader/index.js';
import { pluginModule, pluginsDir } from './helpers/plugin-folders.js';

// A small deterministic generator, so a failure can be replayed.
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

const VALID = { name: 'greeter', version: '1.0.0', host: '^1.0.0', main: 'index.mjs' };
const JUNK: unknown[] = [
  null,
  0,
  -1,
  Infinity,
  true,
  '',
  ' ',
  'x'.repeat(300),
  '../../etc',
  '__proto__',
  [],
  {},
  ['*'],
  { __proto__: { polluted: 1 } },
  '1.0',
  'v1.0.0',
  '>=',
  '^^1',
  'index.js\0',
  '/abs.mjs',
  NaN,
];

/** A manifest with one to three fields broken, added or removed. */
function mutant(next: () => number): unknown {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const m: Record<string, unknown> = { ...VALID };
  for (let i = 0, n = 1 + Math.floor(next() * 3); i < n; i++) {
    const key = pick([
      ...Object.keys(VALID),
      'dependencies',
      'optionalDependencies',
      'integrity',
      'description',
      'extra',
    ]);
    const how = next();
    if (how < 0.3) delete m[key];
    else if (how < 0.8) m[key] = pick(JUNK);
    else m[key] = { [pick(['http', 'Bad Name', 'greeter', '__proto__'])]: pick(JUNK) };
  }
  return next() < 0.05 ? pick(JUNK) : m;
}

const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);
beforeAll(() => void process.on('unhandledRejection', onRejection));
afterAll(() => void process.off('unhandledRejection', onRejection));

it('refuses every one of many generated malformed manifests with a reason, without crashing', async () => {
  const next = random(20261123);
  const root = pluginsDir();
  let invalid = 0;
  for (let i = 0; i < 400; i++) {
    // what is written to plugin.json, read back: the same value the loader will see
    const data: unknown = JSON.parse(JSON.stringify(mutant(next)) ?? 'null');
    let valid = true;
    try {
      checkManifest(data);
    } catch (err) {
      expect(err).toBeInstanceOf(ManifestError);
      expect((err as Error).message.length).toBeGreaterThan(5);
      valid = false;
    }
    if (valid) continue;
    invalid += 1;
    const dir = join(root, `case-${i}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.mjs'), pluginModule());
    writeFileSync(join(dir, 'plugin.json'), JSON.stringify(data));
  }
  expect(invalid).toBeGreaterThan(300);
  const { byName, refused } = await discoverPlugins(root);
  expect(byName.size).toBe(0);
  expect(refused).toHaveLength(invalid);
  expect(refused.every((r) => r.reason.length > 5)).toBe(true);
  expect(rejections).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
