import { afterAll, beforeAll } from 'vitest';
import { eventsConformance } from './helpers/events-conformance.js';
import { ownVhost } from './helpers/rabbitmq.js';

let vhost: ReturnType<typeof ownVhost>;
beforeAll(() => {
  vhost = ownVhost();
}, 30_000);
afterAll(() => vhost.remove(), 30_000);

eventsConformance('RabbitMQ', () => ({ url: vhost.url }));
