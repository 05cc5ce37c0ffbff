import { afterAll, beforeAll, expect, it } from 'vitest';
import { survivesLoss } from './helpers/events-health.js';
import { eventsConformance } from './helpers/events-conformance.js';
import { tcpProxy } from './helpers/proxy.js';
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

it('turns the plugin error when the connection to RabbitMQ is cut without a goodbye, and recovers', async () => {
  const proxy = await tcpProxy(5672);
  try {
    const url = new URL(vhost.url);
    url.port = String(proxy.port);
    const { error, data } = await survivesLoss({ url: url.href }, () => proxy.cut());
    expect(error).toMatch(new RegExp(`127\\.0\\.0\\.1:${proxy.port}`));
    expect(data).toEqual(['before', 'after']);
  } finally {
    await proxy.close();
  }
}, 60_000);
