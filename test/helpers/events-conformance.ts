import { describe, expect, it } from 'vitest';
import { Flavor, Plug } from '../../src/index.js';
import { testAgent } from '../../src/testing/index.js';
import {
  DEAD_LETTER_HEADERS,
  EventsPlugin,
  type Event,
  type EventBus,
} from '../../plugins/events/index.js';
import { deferred } from './deferred.js';
import { suffix } from './servers.js';

@Flavor()
class BusFlavor {
  @Plug() events = new EventsPlugin();
}

/** Events gathered by a handler; `when(n)` resolves once `n` have come. */
export function collect<T = unknown>() {
  const seen: Array<Event<T>> = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    seen,
    add(event: Event<T>) {
      seen.push(event);
      for (const w of waiters.filter((w) => seen.length >= w.n)) w.resolve();
    },
    when(n: number): Promise<void> {
      if (seen.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}

/** A started events plugin over the backend, stopped when the test ends. */
export async function startBus(
  config: Record<string, unknown>,
): Promise<
  EventBus & { plugin: EventsPlugin; stop: () => Promise<void>; draining: Promise<void> }
> {
  const t = await testAgent(new BusFlavor(), {
    config: { events: { drainTimeout: 2_000, abortGrace: 200, ...config } },
  });
  const plugin = t.flavor.events;
  const draining = new Promise<void>((resolve) =>
    t.agent.on('phaseBegin', ({ plugin, phase }) => {
      if (plugin === 'events' && phase === 'beforeClose') resolve();
    }),
  );
  return {
    plugin,
    draining,
    publish: plugin.publish.bind(plugin),
    subscribe: plugin.subscribe.bind(plugin),
    stop: t.stop,
  };
}

/**
 * The behaviour every events backend keeps. `config` gives the plugin's
 * settings for the backend (url, prefix); each test uses topics of its own.
 */
export function eventsConformance(name: string, config: () => Record<string, unknown>): void {
  const topic = (what: string) => `${what}.${suffix()}`;
  const fast = { initial: 5, max: 20 };

  describe(`events on ${name}`, () => {
    it('delivers a message with its id, data, key, headers and attempt 1', async () => {
      const bus = await startBus(config());
      const t = topic('order.created');
      const got = collect<{ n: number }>();
      await bus.subscribe<{ n: number }>(t, (e) => got.add(e), { group: 'g' });
      const id = await bus.publish(t, { n: 1 }, { key: 'k1', headers: { trace: 'abc' } });
      await got.when(1);
      const [event] = got.seen;
      expect(event).toMatchObject({ id, topic: t, data: { n: 1 }, key: 'k1', attempt: 1 });
      expect(event!.headers).toEqual({ trace: 'abc' });
      expect(event!.signal.aborted).toBe(false);
      expect(bus.plugin.stats()).toMatchObject({ published: 1 });
    });

    it('gives each group every message, and each message to one subscriber of a group', async () => {
      const bus = await startBus(config());
      const t = topic('fanout');
      const a1 = collect();
      const a2 = collect();
      const b = collect();
      await bus.subscribe(t, (e) => a1.add(e), { group: 'a' });
      await bus.subscribe(t, (e) => a2.add(e), { group: 'a' });
      await bus.subscribe(t, (e) => b.add(e), { group: 'b' });
      const ids = await Promise.all(Array.from({ length: 20 }, (_, n) => bus.publish(t, n)));
      await b.when(20);
      const inA = () => [...a1.seen, ...a2.seen].map((e) => e.id);
      await new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (inA().length >= 20) resolve(clearInterval(check));
        }, 5);
      });
      expect(inA().sort()).toEqual([...ids].sort());
      expect(b.seen.map((e) => e.id).sort()).toEqual([...ids].sort());
    });

    it('retries a failing handler with backoff, counting attempts', async () => {
      const bus = await startBus(config());
      const t = topic('retry');
      const attempts: number[] = [];
      const done = deferred();
      await bus.subscribe(
        t,
        (e) => {
          attempts.push(e.attempt);
          if (e.attempt < 3) throw new Error(`not yet (${e.attempt})`);
          done.resolve();
        },
        { group: 'g', maxAttempts: 5, backoff: fast },
      );
      await bus.publish(t, 'x');
      await done.promise;
      expect(attempts).toEqual([1, 2, 3]);
      expect(bus.plugin.stats()).toMatchObject({ retried: 2 });
    });

    it('sends a message to the dead-letter topic after the last attempt, with the last error', async () => {
      const bus = await startBus(config());
      const t = topic('poison');
      let calls = 0;
      await bus.subscribe(
        t,
        (e) => {
          calls++;
          throw new Error(`broken on attempt ${e.attempt}`);
        },
        { group: 'g', maxAttempts: 3, backoff: fast },
      );
      const id = await bus.publish(t, { bad: true }, { key: 'k', headers: { origin: 'test' } });
      const dead = collect();
      // the dead-letter group exists from the subscription on, so nothing is lost before this
      await bus.subscribe(`${t}.dead`, (e) => dead.add(e), { group: 'dead-letter' });
      await dead.when(1);
      await bus.stop();
      expect(calls).toBe(3);
      expect(dead.seen[0]).toMatchObject({ id, data: { bad: true }, key: 'k' });
      expect(dead.seen[0]!.headers).toMatchObject({
        origin: 'test',
        [DEAD_LETTER_HEADERS.error]: 'broken on attempt 3',
        [DEAD_LETTER_HEADERS.topic]: t,
        [DEAD_LETTER_HEADERS.attempts]: '3',
      });
      expect(bus.plugin.stats()).toMatchObject({ deadLettered: 1, retried: 2 });
    });

    it('treats a throw of undefined as a failure', async () => {
      const bus = await startBus(config());
      const t = topic('undef');
      await bus.subscribe(
        t,
        () => {
          throw undefined;
        },
        { group: 'g', maxAttempts: 2, backoff: fast },
      );
      const dead = collect();
      await bus.subscribe(`${t}.dead`, (e) => dead.add(e), { group: 'dead-letter' });
      await bus.publish(t, 1);
      await dead.when(1);
      expect(dead.seen[0]!.headers[DEAD_LETTER_HEADERS.error]).toBe('the handler threw undefined');
    });

    it('keeps per-key order with concurrent handlers', async () => {
      const bus = await startBus(config());
      const t = topic('keyed');
      const got = collect<{ key: string; n: number }>();
      await bus.subscribe<{ key: string; n: number }>(
        t,
        async (e) => {
          await new Promise((r) => setTimeout(r, (e.data.n * 7) % 5));
          got.add(e);
        },
        { group: 'g', concurrency: 4 },
      );
      const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
      for (let n = 0; n < 60; n++) {
        const key = keys[n % keys.length]!;
        await bus.publish(t, { key, n }, { key });
      }
      await got.when(60);
      for (const key of keys) {
        const order = got.seen.filter((e) => e.key === key).map((e) => e.data.n);
        expect(order).toEqual([...order].sort((x, y) => x - y));
        expect(order).toHaveLength(10);
      }
    });

    it('runs as many handlers at once as the concurrency, and no more', async () => {
      const bus = await startBus(config());
      const t = topic('parallel');
      const four = deferred();
      let running = 0;
      let most = 0;
      const got = collect();
      await bus.subscribe(
        t,
        async (e) => {
          running++;
          most = Math.max(most, running);
          if (running === 4) four.resolve();
          // each handler holds its slot until four run at once
          await four.promise;
          running--;
          got.add(e);
        },
        { group: 'g', concurrency: 4 },
      );
      await Promise.all(Array.from({ length: 12 }, (_, n) => bus.publish(t, n)));
      await got.when(12);
      expect(most).toBe(4);
    });

    it('keeps a group’s messages while nobody consumes, and hands them out when someone does', async () => {
      const bus = await startBus(config());
      const t = topic('kept');
      const first = await bus.subscribe(t, () => undefined, { group: 'g' });
      await first.unsubscribe();
      await bus.publish(t, 'while away');
      const got = collect();
      await bus.subscribe(t, (e) => got.add(e), { group: 'g' });
      await got.when(1);
      expect(got.seen[0]!.data).toBe('while away');
    });

    it('aborts a handler that outlives the drain limit, and hands its message out again', async () => {
      const bus = await startBus({ ...config(), drainTimeout: 50, abortGrace: 1_000 });
      const t = topic('slow');
      const started = deferred();
      const aborted = deferred<string>();
      const sub = await bus.subscribe(
        t,
        (e) =>
          new Promise<void>((_resolve, reject) => {
            started.resolve();
            e.signal.addEventListener('abort', () => {
              aborted.resolve(e.id);
              reject(new Error('aborted'));
            });
          }),
        { group: 'g' },
      );
      const id = await bus.publish(t, 'slow');
      await started.promise;
      await sub.unsubscribe();
      expect(await aborted.promise).toBe(id);
      const again = collect();
      await bus.subscribe(t, (e) => again.add(e), { group: 'g' });
      await again.when(1);
      expect(again.seen[0]!.id).toBe(id);
      expect(bus.plugin.stats()).toMatchObject({ deadLettered: 0 });
    });

    it('lets running handlers finish when the agent stops, and takes no new messages', async () => {
      const bus = await startBus(config());
      const t = topic('drain');
      const started = deferred();
      const release = deferred();
      let finished = 0;
      await bus.subscribe(
        t,
        async () => {
          started.resolve();
          await release.promise;
          finished++;
        },
        { group: 'g' },
      );
      await bus.publish(t, 1);
      await started.promise;
      const stopping = bus.stop();
      await bus.draining;
      await expect(bus.subscribe(t, () => undefined)).rejects.toThrow(/stopping/);
      release.resolve();
      await stopping;
      expect(finished).toBe(1);
      expect(bus.plugin.stats()).toMatchObject({ delivered: 1, inFlight: 0 });
    });

    it('refuses topics, groups and headers that could escape their place', async () => {
      const bus = await startBus(config());
      for (const bad of ['', 'a b', 'a.>', 'a.*', '.a', 'a..b', 'x'.repeat(201), 'a\nb']) {
        await expect(bus.publish(bad, 1)).rejects.toThrow(/topic .* is not valid/);
      }
      await expect(bus.subscribe('ok', () => undefined, { group: 'a.b' })).rejects.toThrow(/group/);
      await expect(bus.publish('ok', 1, { headers: { 'Nats-Msg-Id': 'x' } })).rejects.toThrow(
        /reserved/,
      );
      await expect(bus.publish('ok', 1, { headers: { h: 'a\r\nb' } })).rejects.toThrow(
        /line breaks/,
      );
      await expect(bus.subscribe('ok', () => undefined, { concurrency: 0 })).rejects.toThrow(
        /concurrency/,
      );
    });

    it('counts published, delivered, retried and dead-lettered messages in the metrics', async () => {
      const bus = await startBus(config());
      const t = topic('counted');
      const done = collect();
      await bus.subscribe(
        t,
        (e) => {
          if (e.data === 'bad') throw new Error('bad');
          done.add(e);
        },
        { group: 'g', maxAttempts: 2, backoff: fast },
      );
      const dead = collect();
      await bus.subscribe(`${t}.dead`, (e) => dead.add(e), { group: 'dead-letter' });
      await bus.publish(t, 'good');
      await bus.publish(t, 'bad');
      await Promise.all([done.when(1), dead.when(1)]);
      await bus.stop();
      expect(bus.plugin.stats()).toEqual({
        published: 2,
        delivered: 2,
        retried: 1,
        deadLettered: 1,
        inFlight: 0,
      });
    });
  });
}
