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
