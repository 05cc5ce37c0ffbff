import { fileURLToPath } from 'node:url';
import { Centrifuge } from 'centrifuge';
import { expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { listeningUrl, runTs } from '../../test/helpers/child.js';

it('serves the page and the client bundle, relays messages and returns history', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
    CHAT_HTTP_PORT: '0',
    CHAT_LOG_FORMAT: 'json',
  });
  await child.waitFor(/started in/);
  const url = listeningUrl(child);
  expect(await (await fetch(`${url}/`)).text()).toContain('/centrifuge.js');
  const bundle = await fetch(`${url}/centrifuge.js`);
  expect(bundle.headers.get('content-type')).toMatch(/javascript/);
  expect(await bundle.text()).toContain('Centrifuge');

  const ws = url.replace('http://', 'ws://') + '/connection/websocket';
  const alice = new Centrifuge(ws, { websocket: WebSocket });
  alice.connect();
  const sub = alice.newSubscription('chat:lobby');
  sub.subscribe();
  await sub.ready(5_000);
  await sub.publish({ text: 'hello' });
  alice.disconnect();

  const bob = new Centrifuge(ws, { websocket: WebSocket });
  bob.connect();
  const later = bob.newSubscription('chat:lobby');
  later.subscribe();
  await later.ready(5_000);
  const history = await later.history({ limit: 50 });
  expect(history.publications.map((p) => p.data)).toEqual([{ text: 'hello' }]);
  bob.disconnect();

  child.proc.kill('SIGTERM');
  expect((await child.exited).code).toBe(0);
});
