import { afterAll, beforeAll, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import { startBus } from './helpers/events-conformance.js';
import { survivesLoss, WatchedBus } from './helpers/events-health.js';
import { ownNats, type OwnServer } from './helpers/servers.js';

let nats: OwnServer;
beforeAll(async () => {
  nats = await ownNats();
});
afterAll(() => nats.stop());

it('turns the plugin error when the NATS server dies under a subscription, and recovers by itself', async () => {
  const { error, overall, data } = await survivesLoss(
    { url: `nats://127.0.0.1:${nats.port}`, prefix: 'faults' },
    () => nats.kill(),
    () => nats.restart(),
  );
  expect(overall).toBe('error');
  expect(error).toMatch(new RegExp(`127\\.0\\.0\\.1:${nats.port}`));
  expect(data).toEqual(['before', 'after']);
});

it('fails to start naming the host and port when no NATS server answers', async () => {
  const port = nats.port + 1;
  const failed = await testAgent(new WatchedBus(), {
    config: { events: { url: `nats://u:secret@127.0.0.1:${port}`, connectTimeout: 500 } },
  }).catch((err: Error) => err);
  expect(failed).toBeInstanceOf(Error);
  const message = (failed as Error).message;
  expect(message).toMatch(new RegExp(`"events".*127\\.0\\.0\\.1:${port}`, 's'));
  expect(message).not.toContain('secret');
});

it('stops within its limits while the NATS server is down under a keyed subscription', async () => {
  const bus = await startBus({ url: `nats://127.0.0.1:${nats.port}`, prefix: 'down' });
  await bus.subscribe('jobs', () => undefined, { group: 'g' });
  await bus.publish('jobs', 1, { key: 'k' });
  await nats.kill();
  const began = Date.now();
  await bus.stop();
  // each pull runs out or misses its heartbeats within a few seconds; nothing waits for the server
  expect(Date.now() - began).toBeLessThan(8_000);
  await nats.restart();
}, 30_000);
