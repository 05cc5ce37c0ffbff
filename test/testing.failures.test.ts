import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface JsonReport {
  testResults: Array<{
    assertionResults: Array<{ title: string; status: string; failureMessages: string[] }>;
  }>;
}

it('fails a test that leaks a timer, swaps nothing or fails to close, naming the plugin, through vitest itself', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'flavorkit-vitest-')), 'report.json');
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--config',
      'test/fixtures/testing/vitest.config.ts',
      '--reporter=json',
      `--outputFile=${out}`,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
  );
  expect(run.status).toBe(1);
  const report = JSON.parse(readFileSync(out, 'utf8')) as JsonReport;
  const results = Object.fromEntries(
    report.testResults[0]!.assertionResults.map((r) => [r.title, r]),
  );
  expect(results['leaks a timer']!.status).toBe('failed');
  expect(results['leaks a timer']!.failureMessages.join('\n')).toContain(
    'plugin "ticker" left a Timeout open after stop',
  );
  expect(results['swaps a plugin that does not exist']!.status).toBe('failed');
  expect(results['swaps a plugin that does not exist']!.failureMessages.join('\n')).toContain(
    'swapByName "stroe" matches no plugin',
  );
  expect(results['passes when nothing leaks']!.status).toBe('passed');
  const late = results['leaks a timer after an await']!;
  expect(late.status).toBe('failed');
  expect(late.failureMessages.join('\n')).toMatch(
    /LeakError: plugin "late" left a Timeout open after stop \(made in init\)/,
  );
  const close = results['fails in close without looking']!;
  expect(close.status).toBe('failed');
  expect(close.failureMessages.join('\n')).toMatch(
    /AgentStopError: .*store close: mock plugin failed in close/,
  );
});
