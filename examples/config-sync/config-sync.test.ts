import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';

it('changes the greeting live when /config/greeting is written', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
    CONFIG_SYNC_HTTP_PORT: '0',
    CONFIG_SYNC_LOG_FORMAT: 'json',
  });
  await child.waitFor(/started in/);
  const url = listeningUrl(child);
  expect(await (await fetch(`${url}/hello?name=Ada`)).json()).toEqual({ message: 'Hello, Ada!' });

  const put = await fetch(`${url}/config/greeting`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ greeting: 'Howdy' }),
  });
  expect(put.status).toBe(200);
  await child.waitFor(/greeting is now Howdy/);
  expect(await (await fetch(`${url}/hello?name=Ada`)).json()).toEqual({ message: 'Howdy, Ada!' });

  const bad = await fetch(`${url}/config/greeting`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ greeting: 42 }),
  });
  expect(bad.status).toBe(400);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(/flavorkit_kv_watch_events_total\{store="kv"\} 1/);
  child.proc.kill('SIGTERM');
  expect((await child.exited).code).toBe(0);
});
