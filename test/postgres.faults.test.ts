import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineSeen } from './helpers/recording.js';
import { Agent, Embed, Flavor, Plug } from '../src/index.js';
import { testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import { PostgresPlugin } from '../plugins/postgres/index.js';
import { healthOf, unhandledRejections } from './helpers/health.js';
import { ownPostgres, type OwnServer } from './helpers/servers.js';

const SECRET = 'pw-Zq7!never-shown';

@Flavor()
class App {
  @Embed() rpc = new RpcFlavor();
  @Plug() db = new PostgresPlugin();

  inject(): void {
    this.db.deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
  }
}

describe('postgres plugin when the server fails', () => {
  let server: OwnServer;
  let settings: Record<string, unknown>;
  beforeAll(async () => {
    server = await ownPostgres();
    settings = {
      host: '127.0.0.1',
      port: server.port,
      user: 'postgres',
      database: 'postgres',
      password: SECRET,
      healthInterval: 50,
      healthTimeout: 1_000,
      connectTimeout: 1_000,
    };
  });
  afterAll(() => server.stop());

  it('fails the start naming the plugin and host:port, never the password, when the server is down', async () => {
    await server.kill('SIGQUIT');
    try {
      for (const config of [
        settings,
        { url: `postgres://postgres:${SECRET}@127.0.0.1:${server.port}/postgres` },
      ]) {
        const t = await testAgent(new App(), { config: { db: config }, start: false });
        const error = (await t.agent.start().catch((e: unknown) => e)) as Error;
        expect(error).toMatchObject({ code: 'FK_PLUGIN_START', plugin: 'db' });
        expect(error.message).toContain(`127.0.0.1:${server.port}`);
        expect(JSON.stringify(t.logs) + error.message).not.toContain(SECRET);
      }
    } finally {
      await server.restart();
    }
  });

  it('waits for a server that comes up later with waitForServer', async () => {
    await server.kill('SIGQUIT');
    const log = lineSeen('waiting for it (waitForServer)');
    const app = new App();
    const agent = new Agent(app, {
      name: 'late',
      env: {},
      config: { http: { port: 0 }, db: { ...settings, waitForServer: true } },
      log: { format: 'json', stream: log.stream },
    });
    const started = agent.start();
    await log.seen;
    await server.restart();
    await started;
    expect((await app.db.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await agent.stop();
  });

  it('turns error and /readiness 503 when the server goes away, and ok again when it is back', async () => {
    const rejections = unhandledRejections();
    const t = await testAgent(new App(), { config: { db: settings } });
    const { db, rpc } = t.flavor;
    const status = rpc.local.statusCheck;
    await db.query('SELECT 1');

    await server.kill('SIGQUIT');
    await healthOf(status, 'db', 'error');
    const readiness = await t.request<{ plugins: Record<string, { error?: string }> }>(
      'GET',
      '/readiness',
    );
    expect(readiness.status).toBe(503);
    expect(readiness.body.plugins.db?.error).toMatch(
      /PostgreSQL at 127\.0\.0\.1:\d+\/postgres does not answer/,
    );
    await expect(db.query('SELECT 1')).rejects.toThrow();
    const diagnostics = await t.request('GET', '/diagnostics.json');
    const page = await t.request('GET', '/diagnostics');

    await server.restart();
    await healthOf(status, 'db', 'ok');
    expect((await t.request('GET', '/readiness')).status).toBe(200);
    expect((await db.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);

    await t.stop();
    expect(rejections.stop()).toEqual([]);
    const everything = JSON.stringify([
      t.logs,
      readiness.body,
      diagnostics.body,
      page.body,
      t.agent.describeConfig(),
    ]);
    expect(everything).toContain('does not answer');
    expect(everything).not.toContain(SECRET);
    // the outage is logged once and the recovery once, however many probes failed
    const lines = t.logs.filter((l) => l.logger === 'db').map((l) => l.message);
    expect(lines.filter((m) => m.includes('does not answer'))).toHaveLength(1);
    expect(lines.filter((m) => m.includes('answers again'))).toHaveLength(1);
  });

  it('lets running queries finish when stopping', async () => {
    const t = await testAgent(new App(), { config: { db: settings } });
    const running = [1, 2, 3].map((n) =>
      t.flavor.db.query<{ n: number }>('SELECT pg_sleep(0.3), $1::int AS n', [n]),
    );
    await t.stop();
    expect((await Promise.all(running)).map((r) => r.rows[0]?.n)).toEqual([1, 2, 3]);
    await expect(t.flavor.db.query('SELECT 1')).rejects.toThrow(/is not started|stopping/);
  });

  it('cuts off queries still running after drainTimeout, with a clear error, and stops in time', async () => {
    const t = await testAgent(new App(), { config: { db: { ...settings, drainTimeout: 200 } } });
    const db = t.flavor.db;
    const stuck = db.query('SELECT pg_sleep(30)');
    const inTransaction = db.transaction((tx) => tx.query('SELECT pg_sleep(30)'));
    stuck.catch(() => undefined);
    inTransaction.catch(() => undefined);
    await db.query('SELECT 1'); // both are on the wire by now
    const began = Date.now();
    await t.stop();
    expect(Date.now() - began).toBeLessThan(5_000);
    await expect(stuck).rejects.toThrow(/plugin "db" stopped before the query finished/);
    await expect(inTransaction).rejects.toThrow(/plugin "db" stopped before the query finished/);
    expect(t.logs.some((l) => /cut off/.test(l.message))).toBe(true);
  });
});
