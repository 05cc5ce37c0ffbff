import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { Engine, QueryResult, Queryable, Session } from './database.js';
import type { Template } from './template.js';

/** The `@electric-sql/pglite` module, loaded when the plugin starts. */
export type PgliteModule = typeof import('@electric-sql/pglite');

const INT8 = 20;

/** A result of PGlite as `pg` shapes it. */
function shaped<R>(result: { rows: unknown[]; affectedRows?: number }): QueryResult<R> {
  const rowCount = result.affectedRows || result.rows.length;
  return { rows: result.rows as R[], rowCount };
}

/**
 * PGlite (WASM Postgres in this process) behind the `Engine` face: one
 * connection, so statements run one at a time; `bigint` columns come back as
 * strings, as `pg` returns them.
 */
export class EmbeddedEngine implements Engine {
  private constructor(
    private readonly db: PGlite,
    readonly description: string,
  ) {}

  /**
   * Starts PGlite in memory, or on `dataDir` when given. A new database starts
   * from the template when there is one, and leaves one behind when there is not.
   */
  static async open(
    module: PgliteModule,
    template: Template,
    dataDir?: string,
  ): Promise<EmbeddedEngine> {
    const options = { parsers: { [INT8]: (text: string) => text } };
    const fresh = !dataDir || !existsSync(join(dataDir, 'PG_VERSION'));
    const dump = fresh ? await template.read() : undefined;
    const db = await module.PGlite.create({
      ...options,
      ...(dataDir ? { dataDir } : {}),
      ...(dump ? { loadDataDir: dump } : {}),
    });
    if (fresh && !dump) await template.write(await db.dumpDataDir('none'));
    const where = dataDir ? `data in ${dataDir}` : 'in memory';
    return new EmbeddedEngine(db, `embedded PGlite (${where})`);
  }

  async query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return shaped<R>(await this.db.query(text, params as unknown[]));
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) =>
      work({
        query: async (text, params) => shaped(await tx.query(text, params as unknown[])),
      }),
    );
  }

  session<T>(work: (session: Session) => Promise<T>): Promise<T> {
    return work({
      query: (text, params) => this.query(text, params),
      exec: async (script) => void (await this.db.exec(script)),
    });
  }

  idle(): boolean {
    return true;
  }

  onActivity(): void {}

  async end(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
