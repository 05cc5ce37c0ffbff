import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { importCycles } from './helpers/imports.js';

const src = fileURLToPath(new URL('../src', import.meta.url));

describe('the core modules', () => {
  it('import each other without a cycle, type imports included', () => {
    expect(importCycles(src)).toEqual([]);
  });

  it('share their vocabulary through a module that imports nothing', () => {
    const text = readFileSync(join(src, 'vocabulary.ts'), 'utf8');
    expect(text).not.toMatch(/\b(import|from)\s*\(?\s*['"]/);
  });

  it('leave what few agents need unloaded: the index of class-validator with its phone number library, yaml, winston until a line is written, and the index of prom-client with its summaries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fk-imports-'));
    try {
      const file = join(dir, 'main.mts');
      const root = new URL('../', import.meta.url);
      writeFileSync(
        file,
        `import { createRequire } from 'node:module';
await import(${JSON.stringify(new URL('src/index.ts', root).href)});
await import(${JSON.stringify(new URL('flavors/rpc/index.ts', root).href)});
console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`,
      );
      const out = spawnSync(process.execPath, ['--import', 'tsx', file], {
        encoding: 'utf8',
        cwd: fileURLToPath(root),
      });
      expect(out.stderr).toBe('');
      const loaded = JSON.parse(out.stdout) as string[];
      const packages = new Set(
        loaded.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]),
      );
      expect(packages.has('class-validator')).toBe(true);
      expect(loaded.some((f) => f.endsWith(join('class-validator', 'cjs', 'index.js')))).toBe(
        false,
      );
      for (const name of ['libphonenumber-js', 'yaml', 'winston', 'tdigest']) {
        expect(packages.has(name)).toBe(false);
      }
      expect(packages.has('prom-client')).toBe(true);
      expect(loaded.some((f) => f.endsWith(join('prom-client', 'index.js')))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('have a cycle check that sees a cycle made of type imports only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fk-imports-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import type { B } from './b.js';\nexport type A = B;\n");
      writeFileSync(join(dir, 'b.ts'), "export type { A } from './a.js';\nexport type B = 1;\n");
      expect(importCycles(dir)).toEqual(['a.ts -> b.ts -> a.ts']);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
