import { randomUUID } from 'node:crypto';
import type { Plugin } from 'flavorkit';
import type { Hooks, Routes } from 'flavorkit/plugins/http';

/**
 * Serves `GET /hello?name=` through the engine-neutral route and hook API: the
 * same on express and Fastify.
 */
export class GreeterPlugin implements Plugin {
  deps!: { http: Routes & Hooks };

  init(): void {
    const { http } = this.deps;
    // the routes added after this hook answer with the caller's x-request-id, or a new one
    http.hook((req, reply, next) => {
      const id = req.headers['x-request-id'];
      reply.header('x-request-id', typeof id === 'string' ? id : randomUUID());
      next();
    });
    http.route('GET', '/hello', (req, reply) => {
      const name = typeof req.query.name === 'string' && req.query.name ? req.query.name : 'world';
      reply.json({ message: `Hello, ${name}!` });
    });
  }
}
