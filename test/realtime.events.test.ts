import { afterAll, describe, expect, it } from 'vitest';
import { Embed, Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { EventsPlugin } from '../plugins/events/index.js';
import { RealtimePlugin } from '../plugins/realtime/index.js';
import {
  connected,
  NAMESPACES,
  SECRET,
  subscribed,
  subscribedOnBoth,
  until,
} from './helpers/realtime.js';
import { deleteNatsStream, shared, suffix } from './helpers/servers.js';

const prefix = `fk_test_realtime_${suffix()}`;

/** A replica: HTTP, the events plugin on the shared NATS, and the realtime plugin over it. */
@Flavor()
class ReplicaFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() events = new EventsPlugin();
  @Plug() realtime = new RealtimePlugin(NAMESPACES);

  inject(): void {
    this.events.deps = { status: this.rpc.local.statusCheck };
    this.realtime.deps = {
      http: this.rpc.http,
      status: this.rpc.local.statusCheck,
      events: this.events,
    };
  }
}

function replica() {
  return testAgent(new ReplicaFlavor(), {
    config: {
      events: { url: `nats://${shared.nats.servers}`, prefix },
      realtime: { tokenSecret: SECRET },
    },
  });
}

afterAll(() => deleteNatsStream(prefix));

describe('realtime: two replicas share channels through the event bus on NATS', () => {
  it('fans a publish on either replica out to the subscribers of both, in order', async () => {
    const one = await replica();
    const two = await replica();
    const { a, b } = await subscribedOnBoth(
      one.flavor.rpc.http.address().port,
      two.flavor.rpc.http.address().port,
      'chat:both',
    );
    // foreign and malformed messages on the topic are dropped; the channels carry on
    await one.flavor.events.publish('realtime', 'not from a replica');
    await one.flavor.events.publish('realtime', { from: 'elsewhere', kind: 'pub' });
    await one.flavor.events.publish('realtime', { from: 'elsewhere', kind: 'launch' });
    for (const n of [1, 2, 3]) await one.flavor.realtime.publish('chat:both', `one ${n}`);
    await until(b.sub, ['publication'], () => b.received.length === 3, 10_000);
    await b.sub.publish('from bob');
    await until(a.sub, ['publication'], () => a.received.length === 4, 10_000);
    await until(b.sub, ['publication'], () => b.received.length === 4, 10_000);
    const all = ['one 1', 'one 2', 'one 3', 'from bob'];
    expect(a.received).toEqual(all);
    expect(b.received).toEqual(all);
    // each replica numbers what it received: a client recovering there gets exactly what it missed
    const history = await two.flavor.realtime.history('chat:both');
    expect(history.publications.map((p) => [p.offset, p.data])).toEqual(
      all.map((data, i) => [i + 1, data]),
    );
  });

  it('merges presence, sends join and leave across replicas, and disconnects a user on both', async () => {
    const one = await replica();
    const two = await replica();
    const alice = await connected(one.flavor.rpc.http.address().port, 'alice');
    const a = await subscribed(alice, 'chat:room');
    const joined: string[] = [];
    a.sub.on('join', (ctx) => joined.push(ctx.info.user));
    const bob = await connected(two.flavor.rpc.http.address().port, 'bob');
    await subscribed(bob, 'chat:room');
    await until(a.sub, ['join'], () => joined.includes('bob'), 10_000);
    const users = async () =>
      Object.values(await one.flavor.realtime.presence('chat:room'))
        .map((p) => p.user)
        .sort();
    expect(await users()).toEqual(['alice', 'bob']);
    const gone = new Promise<{ code: number }>((resolve) => bob.on('disconnected', resolve));
    await one.flavor.realtime.disconnect('bob');
    expect((await gone).code).toBe(3503);
    // bob left on replica two: replica one's presence follows
    for (let i = 0; i < 100 && (await users()).includes('bob'); i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await users()).toEqual(['alice']);
  });
});
