import { afterAll, beforeAll, expect, it } from 'vitest';
import { survivesLoss } from './helpers/events-health.js';
import { eventsConformance } from './helpers/events-conformance.js';
import { dropConnections, ownVhost } from './helpers/rabbitmq.js';

let vhost: ReturnType<typeof ownVhost>;
beforeAll(() => {
  vhost = ownVhost();
}, 60_000);
afterAll(() => vhost.remove(), 30_000);

eventsConformance('RabbitMQ', () => ({ url: vhost.url }));

it('turns the plugin error when RabbitMQ drops the connection, reconnects and consumes again', async () => {
  const { error, data } = await survivesLoss({ url: vhost.url }, () => dropConnections(vhost.url));
  expect(error).toMatch(/127\.0\.0\.1:5672/);
  expect(error).not.toContain('guest:guest');
  expect(data).toEqual(['before', 'after']);
}, 60_000);
