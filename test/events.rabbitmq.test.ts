import { afterAll, beforeAll, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import { eventsTurn, WatchedBus } from './helpers/events-health.js';
import { collect, eventsConformance } from './helpers/events-conformance.js';
import { dropConnections, ownVhost } from './helpers/rabbitmq.js';

let vhost: ReturnType<typeof ownVhost>;
beforeAll(() => {
  vhost = ownVhost();
}, 30_000);
afterAll(() => vhost.remove(), 30_000);

eventsConformance('RabbitMQ', () => ({ url: vhost.url }));

it('turns the plugin error when RabbitMQ drops the connection, reconnects and consumes again', async () => {
  const { flavor } = await testAgent(new WatchedBus(), { config: { events: { url: vhost.url } } });
  const { events, status } = flavor;
  const got = collect();
  await events.subscribe('jobs', (e) => got.add(e), { group: 'g' });
  await events.publish('jobs', 'before');
  await got.when(1);

  const lost = eventsTurn(status, 'error');
  const back = eventsTurn(status, 'ok');
  dropConnections(vhost.url);
  await lost;
  expect(status.agentStatus().plugins.events!.error).toMatch(/127\.0\.0\.1:5672/);
  expect(status.agentStatus().plugins.events!.error).not.toContain('guest:guest');
  await back;
  await events.publish('jobs', 'after');
  await got.when(2);
  expect(got.seen.map((e) => e.data)).toEqual(['before', 'after']);
}, 30_000);
