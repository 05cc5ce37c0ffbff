import { afterAll, beforeAll, expect, it } from 'vitest';
import { Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { EventsPlugin } from '../plugins/events/index.js';
import { StatusCheckPlugin, type HealthChange } from '../plugins/status-check/index.js';
import { collect } from './helpers/events-conformance.js';
import { ownNats, type OwnServer } from './helpers/servers.js';

@Flavor()
class Watched {
  @Plug() status = new StatusCheckPlugin();
  @Plug() events = new EventsPlugin();
  inject(): void {
    this.events.deps = { status: this.status };
  }
}

let nats: OwnServer;
beforeAll(async () => {
  nats = await ownNats();
});
afterAll(() => nats.stop());

function changeTo(status: StatusCheckPlugin, state: HealthChange['state']): Promise<void> {
  return new Promise((resolve) => {
    const off = status.on('change', (c) => {
      if (c.plugin === 'events' && c.state === state) {
        off();
        resolve();
      }
    });
  });
}

it('turns the plugin error when the NATS server dies under a subscription, and recovers by itself', async () => {
  const { flavor } = await testAgent(new Watched(), {
    config: { events: { url: `nats://127.0.0.1:${nats.port}`, prefix: 'faults' } },
  });
  const { events, status } = flavor;
  const got = collect();
  await events.subscribe('jobs', (e) => got.add(e), { group: 'g' });
  await events.publish('jobs', 'before');
  await got.when(1);

  const lost = changeTo(status, 'error');
  await nats.kill();
  await lost;
  expect(status.agentStatus().state).toBe('error');
  expect(status.agentStatus().plugins.events!.error).toMatch(
    new RegExp(`127\\.0\\.0\\.1:${nats.port}`),
  );

  const back = changeTo(status, 'ok');
  await nats.restart();
  await back;
  expect(status.agentStatus().state).toBe('ok');
  await events.publish('jobs', 'after');
  await got.when(2);
  expect(got.seen.map((e) => e.data)).toEqual(['before', 'after']);
});

it('fails to start naming the host and port when no NATS server answers', async () => {
  const port = nats.port + 1;
  const failed = await testAgent(new Watched(), {
    config: { events: { url: `nats://u:secret@127.0.0.1:${port}`, connectTimeout: 500 } },
  }).catch((err: Error) => err);
  expect(failed).toBeInstanceOf(Error);
  const message = (failed as Error).message;
  expect(message).toMatch(new RegExp(`"events".*127\\.0\\.0\\.1:${port}`, 's'));
  expect(message).not.toContain('secret');
});
