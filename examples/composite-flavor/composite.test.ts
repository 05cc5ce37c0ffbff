import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';

it('runs the composite flavor: the user plugin answers through the reused RPC flavor', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
    COMPOSITE_HTTP_PORT: '0',
    COMPOSITE_LOG_FORMAT: 'json',
  });
  await child.waitFor(/started in/);
  const url = listeningUrl(child);
  const res = await fetch(`${url}/xy`);
  expect(await res.json()).toEqual({ plugin: 'pluginXY', calls: 1 });
  child.proc.kill('SIGINT');
  const { code } = await child.exited;
  expect(code).toBe(0);
  expect(child.output()).toMatch(/stopped in/);
});
