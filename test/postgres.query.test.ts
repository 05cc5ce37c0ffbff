import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embed, Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { PostgresPlugin } from '../plugins/postgres/index.js';
import { tempDatabase, type TempDatabase } from './helpers/postgres.js';

@Flavor()
class TwoDatabases {
  @Embed() rpc = new RpcFlavor();
  @Plug({ name: 'primary-db' }) primary = new PostgresPlugin();
  @Plug({ name: 'analytics-db' }) analytics = new PostgresPlugin();

  inject(): void {
    const deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
    this.primary.deps = deps;
    this.analytics.deps = deps;
  }
}

@Flavor()
class OneDatabase {
  @Embed() rpc = new RpcFlavor();
  @Plug() db = new PostgresPlugin();

  inject(): void {
    this.db.deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
  }
}

describe('postgres plugin on a server', () => {
  let first: TempDatabase;
  let second: TempDatabase;
  beforeAll(async () => {
    [first, second] = await Promise.all([tempDatabase(), tempDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([first.drop(), second.drop()]);
  });

  const start = () =>
    testAgent(new TwoDatabases(), {
      env: { TEST_PRIMARY_DB_URL: first.url, TEST_ANALYTICS_DB_URL: second.url },
    });

  it('runs queries with parameters and returns rows and counts', async () => {
    const { flavor } = await start();
    const db = flavor.primary;
    await db.query('CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text NOT NULL)');
    const inserted = await db.query<{ id: number }>(
      'INSERT INTO items (name) VALUES ($1), ($2) RETURNING id',
      ['a', "o'brien; DROP TABLE items"],
    );
    expect(inserted.rowCount).toBe(2);
    const { rows } = await db.query<{ name: string }>('SELECT name FROM items WHERE id = $1', [
      inserted.rows[1]!.id,
    ]);
    expect(rows).toEqual([{ name: "o'brien; DROP TABLE items" }]);
    expect(db.embedded).toBe(false);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const { flavor } = await start();
    const db = flavor.primary;
    await db.query('CREATE TABLE IF NOT EXISTS ledger (entry text)');
    const result = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO ledger VALUES ($1)', ['kept']);
      return 'done';
    });
    expect(result).toBe('done');
    const failure = new Error('changed my mind');
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO ledger VALUES ($1)', ['dropped']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO ledger VALUES ($1)', ['dropped too']);
        await tx.query('SELECT no_such_column FROM ledger');
      }),
    ).rejects.toMatchObject({ code: '42703' });
    const { rows } = await db.query('SELECT entry FROM ledger');
    expect(rows).toEqual([{ entry: 'kept' }]);
    // no connection was left in a transaction
    expect(db.pool.totalCount).toBe(db.pool.idleCount);
  });

  it('runs two instances side by side, each from its own variables, named by the service label', async () => {
    const { flavor, request } = await start();
    const where = async (db: PostgresPlugin) =>
      (
        await db.query<{ db: string; app: string }>(
          'SELECT current_database() AS db, current_setting($1) AS app',
          ['application_name'],
        )
      ).rows[0];
    expect(await where(flavor.primary)).toEqual({ db: first.name, app: 'test' });
    expect(await where(flavor.analytics)).toEqual({ db: second.name, app: 'test' });

    await flavor.primary.query('SELECT 1');
    await expect(flavor.analytics.query('SELECT nonsense')).rejects.toThrow();
    const metrics = (await request<string>('GET', '/metrics')).body;
    expect(metrics).toMatch(
      /flavorkit_postgres_queries_total\{plugin="primary-db",outcome="ok"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /flavorkit_postgres_queries_total\{plugin="analytics-db",outcome="error"\} 1/,
    );
    expect(metrics).toMatch(/flavorkit_postgres_pool_total\{plugin="primary-db"\} [1-9]/);
    expect(metrics).toMatch(/flavorkit_postgres_pool_idle\{plugin="analytics-db"\} \d/);
    expect(metrics).toMatch(/flavorkit_postgres_pool_waiting\{plugin="primary-db"\} 0/);
    expect(metrics).toMatch(
      /flavorkit_postgres_query_duration_seconds_count\{plugin="primary-db"\} [1-9]/,
    );
  });

  it('reports ok to the status check once started', async () => {
    const { flavor } = await start();
    await flavor.rpc.local.statusCheck.probe('primary-db');
    expect(flavor.rpc.local.statusCheck.agentStatus().plugins['primary-db']?.state).toBe('ok');
  });

  it('refuses a url that is not one, without echoing it', async () => {
    const t = await testAgent(new OneDatabase(), {
      env: { TEST_DB_URL: 'mysql://root:hunter2@db:3306/x' },
      start: false,
    });
    const error = (await t.agent.start().catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: 'FK_CONFIG', plugin: 'db' });
    expect(String(error.message)).not.toContain('hunter2');
  });
});

// the first PGlite start on a machine runs initdb, which takes seconds of CPU
const slow = { agent: { timeout: 60_000 } };

describe('postgres plugin embedded', { timeout: 90_000 }, () => {
  it('runs PGlite with the same query and transaction API when nothing is configured, and says so once', async () => {
    const { flavor, logs } = await testAgent(new OneDatabase(), slow);
    const db = flavor.db;
    expect(db.embedded).toBe(true);
    expect(() => db.pool).toThrow(/embedded PGlite/);
    await db.query('CREATE TABLE notes (id bigserial PRIMARY KEY, text text)');
    const inserted = await db.query('INSERT INTO notes (text) VALUES ($1), ($2)', ['a', 'b']);
    expect(inserted.rowCount).toBe(2);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO notes (text) VALUES ($1)', ['c']);
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    const { rows } = await db.query('SELECT id, text FROM notes ORDER BY id');
    // bigint columns come back as strings, as pg returns them
    expect(rows).toEqual([
      { id: '1', text: 'a' },
      { id: '2', text: 'b' },
    ]);
    const said = logs.filter((l) => l.logger === 'db' && /using embedded PGlite/.test(l.message));
    expect(said).toHaveLength(1);
  });

  it('keeps its data in dataDir across restarts', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'flavorkit-pglite-')), 'data');
    try {
      const config = { db: { dataDir } };
      const first = await testAgent(new OneDatabase(), { config, ...slow });
      await first.flavor.db.query('CREATE TABLE kept (v text)');
      await first.flavor.db.query("INSERT INTO kept VALUES ('still here')");
      await first.stop();
      const second = await testAgent(new OneDatabase(), { config, ...slow });
      expect((await second.flavor.db.query('SELECT v FROM kept')).rows).toEqual([
        { v: 'still here' },
      ]);
      await second.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
