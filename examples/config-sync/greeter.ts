import type { InitContext, Logger, Plugin } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';
import type { KvService, Watch } from 'flavorkit/plugins/kv';

const KEY = '/config/greeting';

/** Greets with the greeting stored under /config/greeting, following every change live. */
export class GreeterPlugin implements Plugin {
  deps!: { http: HttpHandlers; kv: KvService; log: Logger };
  private greeting = 'Hello';
  private sync?: Watch;

  init(): void {
    const { http, kv } = this.deps;
    http.get('/hello', (req, res) => {
      const name = typeof req.query.name === 'string' && req.query.name ? req.query.name : 'world';
      res.json({ message: `${this.greeting}, ${name}!` });
    });
    // what a second agent or an operator does: write the setting
    http.admin.put('/config/greeting', async (req, res) => {
      const { greeting } = req.body as { greeting?: unknown };
      if (typeof greeting !== 'string' || greeting.length > 40)
        return void res
          .status(400)
          .json({ error: 'greeting must be a string of up to 40 characters' });
      res.json({ revision: await kv.put(KEY, greeting) });
    });
  }

  async afterInit(_ctx: InitContext): Promise<void> {
    // a snapshot at revision R, then every change from R + 1: nothing in between is missed
    this.sync = await this.deps.kv.sync('/config/', {
      onResync: (snapshot) => this.use(snapshot.find((e) => e.key === KEY)?.value),
      onChange: (event) => {
        if (event.key === KEY) this.use(event.value);
      },
    });
  }

  async beforeClose(): Promise<void> {
    await this.sync?.close();
  }

  private use(value: unknown): void {
    this.greeting = typeof value === 'string' ? value : 'Hello';
    this.deps.log.info(`greeting is now ${this.greeting}`);
  }
}
