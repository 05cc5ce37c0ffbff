import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiReport, sharedNames } from '../scripts/api-report.js';
import { entries, exportsMap } from '../scripts/entries.js';

// A change of the public API shows in review as a change of api/report.md (`npm run api`).
const root = fileURLToPath(new URL('..', import.meta.url));

describe('the public API', () => {
  const list = entries(root);

  it('package.json exports every flavor and plugin folder, each by its own path', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { exports: unknown };
    expect(pkg.exports).toEqual(exportsMap(list));
  });

  it('matches the committed API report (run `npm run api` after an intended change), each name from one entry point', () => {
    const { text, names } = apiReport(root, list);
    expect(text).toBe(readFileSync(`${root}api/report.md`, 'utf8'));
    expect(sharedNames(names)).toEqual([]);
  }, 180_000);

  it('names every name that two entry points export, with both entries', () => {
    const names = new Map([
      ['Agent', ['flavorkit']],
      ['Codec', ['flavorkit/plugins/events', 'flavorkit/plugins/kv']],
    ]);
    expect(sharedNames(names)).toEqual(['Codec: flavorkit/plugins/events, flavorkit/plugins/kv']);
  });
});
