import { afterEach, describe, expect, it } from 'vitest';
import { Agent } from '../src/index.js';
import { HttpPlugin } from '../plugins/http/index.js';

const agents: Agent[] = [];
afterEach(async () => {
  for (const agent of agents.splice(0)) await agent.stop();
});

/** An HTTP plugin on engine express whose routes `declare` adds before the agent starts. */
async function serve(
  declare: (http: HttpPlugin) => void,
): Promise<(path: string) => Promise<string>> {
  const http = new HttpPlugin();
  declare(http);
  const agent = new Agent([{ name: 'http', plugin: http }], {
    name: 'route-order',
    env: {},
    config: { http: { port: 0 } },
    log: { level: 'error' },
  });
  agents.push(agent);
  await agent.start();
  const { port } = http.address();
  return async (path) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return `${res.status} ${res.headers.get('x-seen') ?? '-'} ${await res.text()}`;
  };
}

const answer =
  (text: string) =>
  (_req: unknown, res: { end(body: string): void }): void =>
    res.end(text);

describe('routes on engine express keep the order they were added in', () => {
  it('applies middleware to the routes added after it, not to those before', async () => {
    const get = await serve((http) => {
      http.get('/before', answer('before'));
      http.route('GET', '/neutral-before', (_req, reply) => reply.send('neutral-before'));
      http.use((_req, res, next) => {
        res.setHeader('x-seen', 'yes');
        next();
      });
      http.get('/after', answer('after'));
      http.route('GET', '/neutral-after', (_req, reply) => reply.send('neutral-after'));
    });
    expect(await get('/before')).toBe('200 - before');
    expect(await get('/neutral-before')).toBe('200 - neutral-before');
    expect(await get('/after')).toBe('200 yes after');
    expect(await get('/neutral-after')).toBe('200 yes neutral-after');
    expect(await get('/nowhere')).toBe('404 yes {"error":"not found"}');
  });

  it('lets the first matching route answer, a parameter route before or after a literal one', async () => {
    const get = await serve((http) => {
      http.get('/first/x', answer('literal'));
      http.get('/:any/x', answer('parameter'));
      http.get('/second/x', answer('literal'));
    });
    expect(await get('/first/x')).toBe('200 - literal');
    expect(await get('/second/x')).toBe('200 - parameter');
    expect(await get('/other/x')).toBe('200 - parameter');
  });

  it('passes on with next() to a later route of the same path, also past middleware', async () => {
    const get = await serve((http) => {
      http.get('/items/:id', (_req, _res, next) => next());
      http.get('/stock', answer('stock'));
      http.use((_req, res, next) => {
        res.setHeader('x-seen', 'yes');
        next();
      });
      http.get('/items/:id', (req, res) => void res.end(`item ${String(req.params.id)}`));
    });
    expect(await get('/items/7')).toBe('200 yes item 7');
    expect(await get('/stock')).toBe('200 - stock');
  });

  it('matches as express does: any case, a trailing slash, HEAD on a GET route', async () => {
    const get = await serve((http) => {
      http.route('GET', '/Metrics', (_req, reply) => reply.send('metrics'));
      http.get('/', answer('root'));
    });
    expect(await get('/metrics/')).toBe('200 - metrics');
    expect(await get('/METRICS')).toBe('200 - metrics');
    expect(await get('/')).toBe('200 - root');
    expect(await get('/metrics/more')).toBe('404 - {"error":"not found"}');
    expect(await get('/metric%73')).toBe('404 - {"error":"not found"}');
  });
});
