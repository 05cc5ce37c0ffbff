import { setTimeout as delay } from 'node:timers/promises';
import type { Logger, Plugin } from 'flavorkit';
import type { EventBus } from 'flavorkit/plugins/events';
import type { TaskManager } from 'flavorkit/plugins/tasks';
import type { Order } from './orders-api.js';

const STEPS = ['reserve stock', 'pack', 'hand to the carrier'];

/** Handles each `order.created` as a task with progress, then publishes `order.fulfilled`. */
export class Fulfilment implements Plugin {
  deps!: { events: EventBus; tasks: TaskManager; log: Logger };
  private readonly done = new Set<string>();

  async init(): Promise<void> {
    const { events, tasks, log } = this.deps;
    await events.subscribe<Order>(
      'order.created',
      async (e) => {
        // delivery is at least once: the message id makes handling it twice harmless
        if (this.done.has(e.id)) return;
        const task = tasks.run(`fulfil:${e.data.id}`, async (signal, progress) => {
          for (const [i, step] of STEPS.entries()) {
            await delay(20, undefined, { signal });
            progress((i + 1) / STEPS.length, step);
          }
        });
        await task.result;
        this.done.add(e.id);
        await events.publish('order.fulfilled', { id: e.data.id });
        log.info(`order ${e.data.id} fulfilled: ${e.data.quantity} x ${e.data.item}`);
      },
      { group: 'fulfilment', concurrency: 4 },
    );
    // once a minute; with a lock in the tasks plugin's deps, on one replica only
    tasks.every('fulfilled-report', { everyMs: 60_000 }, () => {
      log.info(`${this.done.size} order(s) fulfilled so far`);
    });
  }
}
