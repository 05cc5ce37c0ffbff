import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runTs } from '../../test/helpers/child.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

it('prints every setting with its variable on --help, without starting', async () => {
  const child = runTs(main, ['--help']);
  const { code } = await child.exited;
  expect(code).toBe(0);
  const out = child.output();
  expect(out).toMatch(
    /INVENTORY_SERVICE_INVENTORY_CAPACITY\s+number\s+100\s+shelves in the warehouse/,
  );
  expect(out).toContain('INVENTORY_SERVICE_LOGS_LEVEL');
  expect(out).not.toContain('counting');
});

it('runs on the Local flavor and stops on SIGTERM', async () => {
  const child = runTs(main);
  await child.waitFor(/started in/);
  child.proc.kill('SIGTERM');
  expect((await child.exited).code).toBe(0);
  expect(child.output()).toContain('counting main for inventory-service');
});
