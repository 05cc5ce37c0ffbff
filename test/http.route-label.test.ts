import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
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
