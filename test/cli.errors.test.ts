import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { pluginsDir } from './helpers/plugin-folders.js';

afterEach(() => vi.restoreAllMocks());

async function answer(argv: string[]) {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((text: unknown) => void lines.push(String(text)));
  vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const code = await main(argv);
  return { code, lines };
}

describe('the flavorkit command answers bad input with one clear line', () => {
  const dir = pluginsDir();
  const loop = join(dir, 'loop');
  mkdirSync(loop);
  symlinkSync(loop, join(loop, 'self'));
  const bad = join(dir, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'plugin.json'), '{ not json');

  it.each([
    ['plugin hash of a missing folder', ['plugin', 'hash', join(dir, 'missing')]],
    ['plugin hash --write of a bad manifest', ['plugin', 'hash', bad, '--write']],
    ['plugin check of a bad manifest', ['plugin', 'check', bad]],
    ['an unknown flag', ['plugin', 'hash', dir, '--frobnicate']],
    ['run with an unknown flag', ['run', '--plugins', dir, '--nope']],
  ])('%s', async (_what, argv) => {
    const { code, lines } = await answer(argv);
    expect(code).toBeGreaterThan(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/\n|\(\S+:\d+:\d+\)/);
  });

  it('names an unknown flag of plugin check as a flag, not as a folder', async () => {
    const { code, lines } = await answer(['plugin', 'check', '--frobnicate']);
    expect(code).toBe(2);
    expect(lines).toEqual([expect.stringContaining("Unknown option '--frobnicate'")]);
  });

  it('refuses plugin check of two folders instead of checking only the first', async () => {
    const { code, lines } = await answer(['plugin', 'check', bad, dir]);
    expect(code).toBe(2);
    expect(lines).toEqual([expect.stringContaining('takes one folder')]);
  });
});
