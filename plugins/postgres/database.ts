import type { Pool } from 'pg';

/** The rows a statement returned and how many rows it returned or changed. */
export interface QueryResult<R = Record<string, unknown>> {
  rows: R[];
  rowCount: number;
}

/** Runs statements: the plugin itself, or the `tx` of a transaction. */
export interface Queryable {
  /** Runs one statement with `$1`-style parameters. */
  query<R = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<QueryResult<R>>;
}

/** What dependents of a Postgres plugin type against. */
export interface Database extends Queryable {
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** The `pg` Pool, for everything else (LISTEN, COPY, cursors); throws when running embedded. */
  readonly pool: Pool;
  /** True when the plugin runs embedded PGlite instead of a server. */
  readonly embedded: boolean;
}

/** One connection held for a while: what migrations run on. */
export interface Session extends Queryable {
  /** Runs a script of several statements, without parameters. */
  exec(script: string): Promise<void>;
}

/** Connection counts of a pool. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/** A server pool or embedded PGlite, behind the plugin. */
export interface Engine extends Queryable {
  /** What it is, for logs: `PostgreSQL at host:port/db` or `embedded PGlite (in memory)`. */
  readonly description: string;
  readonly pool?: Pool;
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `work` on one connection. */
  session<T>(work: (session: Session) => Promise<T>): Promise<T>;
  stats?(): PoolStats;
  /** True when no connection is in use and nothing waits for one. */
  idle(): boolean;
  /** Calls `listener` whenever a connection may have become free. */
  onActivity(listener: () => void): void;
  /** Releases everything; with `force`, cuts off work still running. */
  end(force: boolean): Promise<void>;
}
