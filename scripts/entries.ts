import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** One public entry point of the package: its import path and its source file. */
export interface Entry {
  /** `flavorkit`, `flavorkit/plugins/http`, ... */
  specifier: string;
  /** Key in package.json `exports`: `.`, `./plugins/http`, ... */
  subpath: string;
  /** Source file, relative to the repository root. */
  source: string;
}

const fixed: Entry[] = [
  { specifier: 'flavorkit', subpath: '.', source: 'src/index.ts' },
  { specifier: 'flavorkit/loader', subpath: './loader', source: 'src/loader/index.ts' },
  { specifier: 'flavorkit/testing', subpath: './testing', source: 'src/testing/index.ts' },
];

/** Every entry point: the core, the loader, the testing toolkit and one per flavor and plugin folder. */
export function entries(root: string): Entry[] {
  const folders = (dir: string) =>
    readdirSync(join(root, dir))
      .filter((name) => existsSync(join(root, dir, name, 'index.ts')))
      .sort()
      .map((name) => ({
        specifier: `flavorkit/${dir}/${name}`,
        subpath: `./${dir}/${name}`,
        source: `${dir}/${name}/index.ts`,
      }));
  return [...fixed, ...folders('flavors'), ...folders('plugins')];
}

/** The package.json `exports` map for these entries: types and code from `dist/`. */
export function exportsMap(list: Entry[]): Record<string, unknown> {
  const map: Record<string, unknown> = {};
  for (const entry of list) {
    const dist = `./dist/${entry.source.replace(/\.ts$/, '')}`;
    map[entry.subpath] = { types: `${dist}.d.ts`, default: `${dist}.js` };
  }
  map['./package.json'] = './package.json';
  return map;
}
