import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/index.js';
import { PostgresPlugin } from '../plugins/postgres/index.js';
import { tempDatabase, type TempDatabase } from './helpers/postgres.js';
import { captureLines } from './helpers/recording.js';

/** A folder holding the given migration files. */
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flavorkit-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

const FILES = {
  '1_visits.sql':
    "CREATE TABLE visits (id serial PRIMARY KEY, note text);\nINSERT INTO visits (note) VALUES ('one');",
  '2_more.sql':
    "ALTER TABLE visits ADD COLUMN at timestamptz;\nINSERT INTO visits (note) VALUES ('two');",
  '10_last.sql': "INSERT INTO visits (note) VALUES ('ten');",
  'README.txt': 'not a migration',
};

describe('postgres migrations', () => {
  let db: TempDatabase;
  const dirs: string[] = [];
  const agents: Agent[] = [];
  const lines = captureLines();

  const replica = (migrations: string) => {
    const plugin = new PostgresPlugin();
    const agent = new Agent([{ name: 'db', plugin }], {
      name: 'replica',
      env: {},
      config: { db: { url: db.url, migrations } },
      log: { stream: lines.stream, format: 'json' },
    });
    agents.push(agent);
    return { agent, plugin };
  };

  beforeAll(async () => {
    db = await tempDatabase();
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
  });
  afterAll(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await db.drop();
  });

  it('applies each file exactly once, in number order, when three replicas start together', async () => {
    const dir = folder(FILES);
    dirs.push(dir);
    const replicas = [replica(dir), replica(dir), replica(dir)];
    await Promise.all(replicas.map((r) => r.agent.start()));

    const { rows } = await replicas[0]!.plugin.query('SELECT note FROM visits ORDER BY id');
    expect(rows).toEqual([{ note: 'one' }, { note: 'two' }, { note: 'ten' }]);
    const recorded = await replicas[1]!.plugin.query<{ name: string }>(
      'SELECT name FROM flavorkit_migrations ORDER BY applied_at, name',
    );
    expect(recorded.rows.map((r) => r.name).sort()).toEqual([
      '10_last.sql',
      '1_visits.sql',
      '2_more.sql',
    ]);
    const reports = lines.lines
      .map((l) => JSON.parse(l) as { message: string })
      .filter((l) => l.message.startsWith('migrations:'));
    expect(reports.map((r) => r.message).sort()).toEqual([
      'migrations: 0 applied, 3 already applied',
      'migrations: 0 applied, 3 already applied',
      'migrations: 3 applied: 1_visits.sql, 2_more.sql, 10_last.sql, 0 already applied',
    ]);
  });

  it('rolls back a failing file, records nothing of it and fails the start naming it', async () => {
    const dir = folder({
      ...FILES,
      '11_broken.sql':
        "INSERT INTO visits (note) VALUES ('half');\nSELECT no_such_column FROM visits;",
    });
    dirs.push(dir);
    const { agent } = replica(dir);
    await expect(agent.start()).rejects.toMatchObject({
      code: 'FK_PLUGIN_START',
      plugin: 'db',
      message: expect.stringContaining('migration 11_broken.sql failed and was rolled back'),
    });
    const empty = folder({});
    dirs.push(empty);
    const check = replica(empty);
    await check.agent.start();
    const { rows } = await check.plugin.query(
      "SELECT count(*)::int AS n FROM visits WHERE note = 'half'",
    );
    expect(rows).toEqual([{ n: 0 }]);
    const recorded = await check.plugin.query(
      "SELECT 1 FROM flavorkit_migrations WHERE name = '11_broken.sql'",
    );
    expect(recorded.rowCount).toBe(0);
  });

  it('refuses to start when an applied file was edited', async () => {
    const dir = folder({ ...FILES, '2_more.sql': 'ALTER TABLE visits ADD COLUMN edited int;' });
    dirs.push(dir);
    const { agent } = replica(dir);
    await expect(agent.start()).rejects.toThrow(
      /migration 2_more\.sql was changed after it was applied/,
    );
  });

  it('fails the start naming a migrations folder that does not exist', async () => {
    const { agent } = replica('/nonexistent/migrations');
    await expect(agent.start()).rejects.toThrow(
      /cannot read the migrations folder \/nonexistent\/migrations/,
    );
  });
});
