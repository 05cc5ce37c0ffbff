import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { EventsPlugin } from '../plugins/events/index.js';
import { collect } from './helpers/events-conformance.js';

@Flavor()
class Measured {
  registry = new Registry();
  @Plug() events = new EventsPlugin();
  inject(): void {
    this.events.deps = { metrics: { registry: this.registry } };
  }
}

it('exports published, delivered, retried and dead-lettered counters and the in-flight gauge', async () => {
  const { flavor } = await testAgent(new Measured());
  const { events, registry } = flavor;
  const got = collect();
  await events.subscribe(
    'orders',
    (e) => {
      if (e.attempt === 1) throw new Error('once');
      got.add(e);
    },
    { group: 'billing', backoff: () => 1 },
  );
  await events.publish('orders', 1);
  await got.when(1);
  const text = await registry.metrics();
  expect(text).toMatch(/^flavorkit_events_published_total\{plugin="events",topic="orders"\} 1$/m);
  expect(text).toMatch(
    /^flavorkit_events_retried_total\{plugin="events",topic="orders",group="billing"\} 1$/m,
  );
  expect(text).toMatch(/^flavorkit_events_in_flight\{plugin="events"\} 1$/m);
  expect(text).toContain('flavorkit_events_dead_lettered_total');
});
