import type { Plugin } from 'flavorkit';
import type { Routes } from 'flavorkit/plugins/http';

/** Serves `GET /hello?name=` through the engine-neutral route API: the same on express and Fastify. */
export class GreeterPlugin implements Plugin {
  deps!: { http: Routes };

  init(): void {
    this.deps.http.route('GET', '/hello', (req, reply) => {
      const name = typeof req.query.name === 'string' && req.query.name ? req.query.name : 'world';
      reply.json({ message: `Hello, ${name}!` });
    });
  }
}
