import { fileURLToPath } from 'node:url';
import { Centrifuge } from 'centrifuge';
import { expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket } from 'ws';
import { listeningUrl, runTs } from '../../test/helpers/child.js';
import { deleteNatsStream, shared, suffix } from '../../test/helpers/servers.js';

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

it('runs two replicas on NATS that share the channels', async () => {
  const prefix = `fk_test_chat_${suffix()}`;
  onTestFinished(() => deleteNatsStream(prefix));
  const replicas = [0, 1].map(() =>
    runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
      CHAT_HTTP_PORT: '0',
      CHAT_LOG_FORMAT: 'json',
      CHAT_EVENTS_URL: `nats://${shared.nats.servers}`,
      CHAT_EVENTS_PREFIX: prefix,
    }),
  );
  const [one, two] = await Promise.all(
    replicas.map(async (child) => {
      await child.waitFor(/started in/);
      const c = new Centrifuge(
        listeningUrl(child).replace('http://', 'ws://') + '/connection/websocket',
        { websocket: WebSocket },
      );
      c.connect();
      const sub = c.newSubscription('chat:lobby');
      const received: unknown[] = [];
      sub.on('publication', (ctx) => received.push(ctx.data));
      sub.subscribe();
      await sub.ready(10_000);
      return { c, sub, received };
    }),
  );
  await one!.sub.publish({ text: 'across' });
  await vi.waitFor(() => expect(two!.received).toEqual([{ text: 'across' }]), {
    timeout: 10_000,
  });
  for (const r of [one!, two!]) r.c.disconnect();
  for (const child of replicas) child.proc.kill('SIGTERM');
  for (const child of replicas) expect((await child.exited).code).toBe(0);
});
