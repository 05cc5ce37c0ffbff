import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/index.js';
import { HttpPlugin } from '../plugins/http/index.js';
import { routeLabel } from '../plugins/http/route.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** The labels given to GET `paths` on an app whose routes `declare` adds; each handler records one. */
async function labels(
  declare: (app: express.Express, record: express.RequestHandler) => void,
  paths: string[],
): Promise<string[]> {
  const seen: string[] = [];
  const app = express();
  declare(app, (req, res) => {
    seen.push(routeLabel(req));
    res.end();
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  const { port } = server.address() as { port: number };
  for (const path of paths) await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  return seen;
}

describe('route labels of routes declared with a list of paths or a regular expression', () => {
  it('labels a route declared with a list of paths by that list, not as unmatched', async () => {
    const seen = await labels(
      (app, record) => app.get(['/a/:x', '/b/:x'], record),
      ['/a/1', '/b/2', '/a/3'],
    );
    expect(seen).toEqual(['/a/:x,/b/:x', '/a/:x,/b/:x', '/a/:x,/b/:x']);
  });

  it('labels a route declared with a regular expression by the expression, not by the URL', async () => {
    const seen = await labels((app, record) => app.get(/^\/re\/\d+$/, record), ['/re/1', '/re/22']);
    expect(seen).toEqual(['/^\\/re\\/\\d+$/', '/^\\/re\\/\\d+$/']);
  });
});

describe('route labels of nested routers', () => {
  it('label a route of a router used inside http.router() by both prefixes', async () => {
    const plugin = new HttpPlugin();
    const seen: string[] = [];
    const agent = new Agent([{ name: 'http', plugin }], {
      name: 'labels',
      env: {},
      config: { http: { port: 0 } },
      log: { level: 'error' },
    });
    const api = plugin.router('/api');
    const items = express.Router();
    const users = express.Router();
    items.get('/:id', (_req, res) => void res.end());
    users.get('/:id', (_req, res) => void res.end());
    api.use('/items', items);
    api.use('/users', users);
    api.get('/:id', (_req, res) => void res.end());
    plugin.onRequest((record) => seen.push(record.route));
    await agent.start();
    try {
      const base = `http://127.0.0.1:${plugin.address().port}`;
      for (const path of ['/api/items/1', '/api/users/2', '/api/3', '/api/items/x/y']) {
        await (await fetch(base + path)).text();
      }
    } finally {
      await agent.stop();
    }
    expect(seen).toEqual(['/api/items/:id', '/api/users/:id', '/api/:id', '<unmatched>']);
  });
});
