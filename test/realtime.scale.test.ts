import { describe, expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import { client, RealtimeFlavor, SECRET, token } from './helpers/realtime.js';

const CLIENTS = 1_000;

/** Resolves once `check()` holds, looking every 50 ms; rejects with `why()` after `ms`. */
function poll(check: () => boolean, why: () => string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const began = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - began > ms) {
        clearInterval(timer);
        reject(new Error(why()));
      }
    }, 50);
  });
}

describe('realtime: one agent serves 1,000 Centrifuge clients', () => {
  it(
    'subscribes 1,000 clients that connect at once and delivers one publication to each',
    { timeout: 240_000 },
    async () => {
      const t = await testAgent(new RealtimeFlavor(), {
        config: { realtime: { tokenSecret: SECRET } },
      });
      const port = t.flavor.rpc.http.address().port;
      const realtime = t.flavor.realtime;
      const subscribed = new Set<number>();
      const received = new Map<number, unknown[]>();
      const tokens = await Promise.all(
        Array.from({ length: CLIENTS }, (_, i) => token(`user-${i}`)),
      );
      // every client opens its socket in the same tick, as after a deploy; on a busy
      // machine a reply may take longer than the client's default 5 s, so the limits
      // are generous and reconnects back off instead of adding to the load
      for (const [i, tok] of tokens.entries()) {
        const c = client(port, {
          token: tok,
          timeout: 30_000,
          minReconnectDelay: 500,
          maxReconnectDelay: 10_000,
        });
        const sub = c.newSubscription('news');
        sub.on('subscribed', () => subscribed.add(i));
        sub.on('publication', (ctx) => received.set(i, [...(received.get(i) ?? []), ctx.data]));
        sub.subscribe();
        c.connect();
      }
      await poll(
        () => subscribed.size === CLIENTS,
        () => `${subscribed.size} of ${CLIENTS} clients subscribed`,
        180_000,
      );
      expect(realtime.stats()).toMatchObject({ connections: CLIENTS, subscriptions: CLIENTS });

      await realtime.publish('news', { text: 'to everyone' });
      await poll(
        () => received.size === CLIENTS,
        () => `${received.size} of ${CLIENTS} clients received the publication`,
        30_000,
      );
      for (const data of received.values()) expect(data).toEqual([{ text: 'to everyone' }]);
      expect(realtime.stats().messagesOut).toBe(CLIENTS);
    },
  );
});
