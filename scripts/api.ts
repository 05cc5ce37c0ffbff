// `npm run api`: writes package.json `exports` from the flavor and plugin folders, and the
// API report (api/report.md) from the entry points. `npm test` checks that both are current.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { apiReport, sharedNames } from './api-report.js';
import { entries, exportsMap } from './entries.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const list = entries(root);
const pkgPath = `${root}package.json`;
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as Record<string, unknown>;
pkg.exports = exportsMap(list);
writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
mkdirSync(`${root}api`, { recursive: true });
const { text, names } = apiReport(root, list);
writeFileSync(`${root}api/report.md`, text);
console.log(`exports: ${list.length} entry points; API report: api/report.md`);
const shared = sharedNames(names);
if (shared.length > 0) {
  console.error(
    `names exported by more than one entry point (give each one import path):\n  ${shared.join('\n  ')}`,
  );
  process.exitCode = 1;
}
