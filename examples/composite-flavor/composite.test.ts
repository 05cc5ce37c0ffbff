import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runTs } from '../../test/helpers/child.js';

it('runs the composite flavor, greets through the wired store and stops on Ctrl-C', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)));
  await child.waitFor(/started in/);
  child.proc.kill('SIGINT');
  const { code } = await child.exited;
  expect(code).toBe(0);
  expect(child.output()).toContain('hello Ada (visit 2)');
  expect(child.output()).toMatch(/stopped in/);
});
