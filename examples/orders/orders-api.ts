import { randomUUID } from 'node:crypto';
import type { Logger, Plugin } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';
import type { EventBus } from 'flavorkit/plugins/events';

/** An order as the API stores it. */
export interface Order {
  id: string;
  item: string;
  quantity: number;
  state: 'accepted' | 'fulfilled';
}

/** `POST /orders` accepts an order and publishes `order.created`; `GET /orders/:id` shows its state. */
export class OrdersApi implements Plugin {
  deps!: { http: HttpHandlers; events: EventBus; log: Logger };
  private readonly orders = new Map<string, Order>();

  async init(): Promise<void> {
    const { http, events } = this.deps;
    http.post('/orders', async (req, res) => {
      const { item, quantity } = (req.body ?? {}) as { item?: unknown; quantity?: unknown };
      if (typeof item !== 'string' || !Number.isInteger(quantity) || (quantity as number) < 1) {
        res.status(400).json({ error: 'send {"item": string, "quantity": whole number >= 1}' });
        return;
      }
      const order: Order = {
        id: randomUUID(),
        item,
        quantity: quantity as number,
        state: 'accepted',
      };
      this.orders.set(order.id, order);
      await events.publish('order.created', order, { key: order.id });
      res.status(202).json(order);
    });
    http.get('/orders/:id', (req, res) => {
      const order = this.orders.get(String(req.params.id));
      if (order) res.json(order);
      else res.status(404).json({ error: 'no such order' });
    });
    // the fulfilment side reports back through an event of its own
    await events.subscribe<{ id: string }>(
      'order.fulfilled',
      (e) => {
        const order = this.orders.get(e.data.id);
        if (order) order.state = 'fulfilled';
      },
      { group: 'orders-api' },
    );
  }
}
