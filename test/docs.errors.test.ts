import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

it('docs/errors.md lists every error code and class the package defines', () => {
  const source = read('src/errors.ts');
  const page = read('docs/errors.md');
  const union = /export type ErrorCode =([^;]*);/.exec(source)![1]!;
  const codes = [...union.matchAll(/'(FK_[A-Z_]+)'/g)].map((m) => m[1]!).sort();
  const classes = [...source.matchAll(/export class (\w+) extends FlavorkitError/g)]
    .map((m) => m[1]!)
    .sort();
  const rows = [...page.matchAll(/^\| `(\w+)`\s*\| `(FK_[A-Z_]+)`/gm)];
  expect(codes.length).toBeGreaterThan(10);
  expect(rows.map((r) => r[2]!).sort()).toEqual(codes);
  expect(rows.map((r) => r[1]!).sort()).toEqual(classes);
});
