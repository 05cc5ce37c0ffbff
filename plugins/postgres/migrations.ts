import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from './database.js';

/** One `.sql` file of a migrations folder. */
export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** What a migration run did. */
export interface MigrationReport {
  applied: string[];
  skipped: number;
}

/** The `.sql` files of `dir`, in name order with numbers compared as numbers (`2_` before `10_`). */
export async function readMigrations(dir: string): Promise<Migration[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.sql'));
  } catch (err) {
    throw new Error(`cannot read the migrations folder ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

/** A table name as a quoted identifier; refuses anything but letters, digits, `_` and one dot. */
function quotedTable(table: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(table)) {
    throw new Error(`migrationsTable "${table}" is not a plain [schema.]table name`);
  }
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}

/** The advisory lock key of a migrations table: the same for every replica. */
function lockKey(table: string): string {
  return createHash('sha256')
    .update(`flavorkit migrations ${table}`)
    .digest()
    .readBigInt64BE()
    .toString();
}

/**
 * Applies the migrations not yet recorded in `table`, each in its own
 * transaction, under a session-level advisory lock so that replicas starting
 * together apply each file exactly once. A recorded file whose content changed
 * fails the run.
 */
export async function migrate(
  engine: Engine,
  migrations: Migration[],
  table: string,
): Promise<MigrationReport> {
  const quoted = quotedTable(table);
  const key = lockKey(table);
  return engine.session(async (s) => {
    await s.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    try {
      await s.exec(
        `CREATE TABLE IF NOT EXISTS ${quoted} (name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await s.query<{ name: string; checksum: string }>(
        `SELECT name, checksum FROM ${quoted}`,
      );
      const recorded = new Map(rows.map((r) => [r.name, r.checksum]));
      const applied: string[] = [];
      for (const m of migrations) {
        const checksum = recorded.get(m.name);
        if (checksum === m.checksum) continue;
        if (checksum !== undefined) {
          throw new Error(
            `migration ${m.name} was changed after it was applied; add a new file instead of editing an applied one`,
          );
        }
        await s.exec('BEGIN');
        try {
          await s.exec(m.sql);
          await s.query(`INSERT INTO ${quoted} (name, checksum) VALUES ($1, $2)`, [
            m.name,
            m.checksum,
          ]);
          await s.exec('COMMIT');
        } catch (err) {
          await s.exec('ROLLBACK').catch(() => undefined);
          throw new Error(
            `migration ${m.name} failed and was rolled back: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
        }
        applied.push(m.name);
      }
      return { applied, skipped: migrations.length - applied.length };
    } finally {
      // on a broken connection the session is dropped, which frees the lock too
      await s.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
    }
  });
}
