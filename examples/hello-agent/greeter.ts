import {
  type InitContext,
  IsString,
  type Logger,
  MaxLength,
  type Plugin,
  Setting,
} from 'flavorkit';
import type { HttpHandlers } from 'flavorkit/plugins/http';
import type { Metrics } from 'flavorkit/plugins/prometheus';
import { Counter } from 'prom-client';

/** Settings of the greeter. */
export class GreeterConfig {
  @Setting({ description: 'greeting word' })
  @IsString()
  @MaxLength(40)
  greeting = 'Hello';
}

/** Serves `GET /hello?name=` and counts greetings in a custom metric. */
export class GreeterPlugin implements Plugin {
  static readonly configClass = GreeterConfig;
  deps!: { http: HttpHandlers; metrics: Metrics; log: Logger };

  init(ctx: InitContext): void {
    const { greeting } = ctx.config(GreeterConfig);
    const greetings = new Counter({
      name: 'greeter_greetings_total',
      help: 'Greetings served',
      registers: [this.deps.metrics.registry],
    });
    this.deps.http.get('/hello', (req, res) => {
      const name = typeof req.query.name === 'string' && req.query.name ? req.query.name : 'world';
      greetings.inc();
      res.json({ message: `${greeting}, ${name}!` });
    });
    this.deps.log.info('GET /hello is registered');
  }
}
