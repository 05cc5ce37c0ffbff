import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';

it('greets over HTTP, counts greetings in /metrics, and exits by itself on SIGTERM', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
    HELLO_HTTP_PORT: '0',
    HELLO_LOG_FORMAT: 'json',
  });
  await child.waitFor(/started in/);
  const url = listeningUrl(child);

  const hello = await fetch(`${url}/hello?name=Ada`);
  expect(await hello.json()).toEqual({ message: 'Hello, Ada!' });
  await fetch(`${url}/hello`);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(/^greeter_greetings_total 2$/m);

  child.proc.kill('SIGTERM');
  const { code } = await child.exited;
  expect(code).toBe(0);
  expect(child.output()).toMatch(/stopped in/);
});
