import type { InitContext, Plugin } from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';

/** A user plugin: it depends on the HTTP API interface, not on the HTTP plugin class. */
export class PluginXY implements Plugin {
  deps!: { http: HttpHandlers };
  private calls = 0;

  init(ctx: InitContext): void {
    this.deps.http.get('/xy', (_req, res) => {
      this.calls += 1;
      res.json({ plugin: ctx.name, calls: this.calls });
    });
    ctx.log.info('GET /xy is registered');
  }

  close(): void {
    this.calls = 0;
  }
}
