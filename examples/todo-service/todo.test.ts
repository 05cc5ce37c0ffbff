import { fileURLToPath } from 'node:url';
import { testAgent } from 'flavorkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';
import { tempDatabase, type TempDatabase } from '../../test/helpers/postgres.js';
import { shared, suffix } from '../../test/helpers/servers.js';
import { migrations, TodoFlavor } from './flavor.js';

type Call = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown; cache: string | null }>;

/** The CRUD a user of the API relies on, with its validation errors. */
async function exercise(call: Call): Promise<void> {
  const created = await call('POST', '/todos', { title: '  buy milk ' });
  expect(created).toMatchObject({ status: 201, body: { title: 'buy milk', done: false } });
  const id = (created.body as { id: number }).id;
  for (const bad of [
    {},
    { title: '' },
    { title: 42 },
    { title: 'x'.repeat(201) },
    { title: 'ok', done: 'yes' },
  ]) {
    expect((await call('POST', '/todos', bad)).status).toBe(400);
  }
  expect((await call('GET', '/todos/abc')).status).toBe(400);
  expect((await call('GET', '/todos/999999')).status).toBe(404);
  expect((await call('GET', `/todos/${id}`)).body).toMatchObject({ id, title: 'buy milk' });
  expect(await call('PUT', `/todos/${id}`, { done: true })).toMatchObject({
    status: 200,
    body: { id, title: 'buy milk', done: true },
  });
  expect((await call('GET', `/todos/${id}`)).body).toMatchObject({ done: true });
  expect((await call('PUT', `/todos/${id}`, { done: 1 })).status).toBe(400);
  expect((await call('GET', '/todos')).body).toEqual([{ id, title: 'buy milk', done: true }]);
  expect((await call('DELETE', `/todos/${id}`)).status).toBe(204);
  expect((await call('GET', `/todos/${id}`)).status).toBe(404);
  expect((await call('DELETE', `/todos/${id}`)).status).toBe(404);
}

describe('todo service', () => {
  it(
    'runs as it is on embedded PGlite, without Redis, and stops on SIGTERM',
    { timeout: 90_000 },
    async () => {
      const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
        TODO_HTTP_PORT: '0',
        TODO_LOG_FORMAT: 'json',
      });
      try {
        await child.waitFor(/started (degraded )?in/);
        const url = listeningUrl(child);
        await exercise(async (method, path, body) => {
          const res = await fetch(`${url}${path}`, {
            method,
            headers: { 'content-type': 'application/json' },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          const text = await res.text();
          return {
            status: res.status,
            body: text ? JSON.parse(text) : undefined,
            cache: res.headers.get('x-cache'),
          };
        });
        expect(child.output()).toMatch(/using embedded PGlite \(in memory\)/);
        expect(child.output()).toMatch(/migrations: 2 applied/);
        // Redis is optional: unconfigured, the service is degraded but ready
        expect((await fetch(`${url}/readiness`)).status).toBe(200);
      } finally {
        child.proc.kill('SIGTERM');
      }
      expect((await child.exited).code).toBe(0);
    },
  );

  describe('on the real servers', () => {
    let db: TempDatabase;
    beforeAll(async () => {
      db = await tempDatabase();
    });
    afterAll(() => db.drop());

    it('serves the same API from PostgreSQL, reading todos through the Redis cache', async () => {
      const cachePrefix = `flavorkit-test:${suffix()}:todo:`;
      const t = await testAgent(new TodoFlavor(), {
        agent: { name: 'todo' },
        env: { TODO_DB_URL: db.url, TODO_CACHE_URL: shared.redis.url },
        config: { db: { migrations }, todos: { cachePrefix } },
      });
      expect(t.flavor.db.embedded).toBe(false);
      const call: Call = async (method, path, body) => {
        const res = await t.request(method, path, body === undefined ? {} : { body });
        return { status: res.status, body: res.body, cache: res.headers['x-cache'] ?? null };
      };
      await exercise(call);

      const { body } = await call('POST', '/todos', { title: 'cached' });
      const id = (body as { id: number }).id;
      expect((await call('GET', `/todos/${id}`)).cache).toBe('miss');
      expect(await call('GET', `/todos/${id}`)).toMatchObject({
        cache: 'hit',
        body: { title: 'cached' },
      });
      await call('PUT', `/todos/${id}`, { title: 'changed' });
      expect(await call('GET', `/todos/${id}`)).toMatchObject({
        cache: 'miss',
        body: { title: 'changed' },
      });
      await t.flavor.cache.client.del(`${cachePrefix}${id}`);
    });
  });
});
