import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { ClientConfig, Pool, PoolClient } from 'pg';
import type { Engine, PoolStats, QueryResult, Queryable, Session } from './database.js';

/** The `pg` module, loaded when the plugin starts. */
export type PgModule = typeof import('pg');

/** Called with errors of idle connections (the server went away). */
export type ConnectionErrorListener = (error: Error) => void;

/** A `pg` Pool behind the `Engine` face. */
export class ServerEngine implements Engine {
  readonly pool: Pool;
  private readonly active = new Set<PoolClient>();
  private readonly listeners: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();

  constructor(
    pg: PgModule,
    config: ClientConfig & { max: number },
    readonly description: string,
    onError: ConnectionErrorListener,
  ) {
    this.pool = new pg.Pool(config);
    this.pool.on('error', onError);
    this.pool.on('acquire', (client) => this.active.add(client));
    this.pool.on('connect', (client) => {
      const socket = socketOf(client);
      if (!socket) return;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    const freed = (client: PoolClient) => {
      this.active.delete(client);
      // the pool hands a released client to a waiter after its 'release' event
      setImmediate(() => {
        for (const listener of this.listeners) listener();
      });
    };
    this.pool.on('release', (_err: unknown, client: PoolClient) => freed(client));
    this.pool.on('remove', (client: PoolClient) => freed(client));
  }

  query<R>(text: string, params?: readonly unknown[]): Promise<QueryResult<R>> {
    return this.pool.query(text, params as unknown[]) as unknown as Promise<QueryResult<R>>;
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const tx: Queryable = {
        query: (text, params) =>
          client.query(text, params as unknown[]) as unknown as Promise<QueryResult<never>>,
      };
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      throw err;
    } finally {
      // a connection whose rollback failed is in an unknown state: drop it
      client.release(broken ?? false);
    }
  }

  async session<T>(work: (session: Session) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      return await work({
        query: (text, params) =>
          client.query(text, params as unknown[]) as unknown as Promise<QueryResult<never>>,
        exec: async (script) => void (await client.query(script)),
      });
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // a failed session may still hold a lock or an open transaction: drop the connection
      client.release(failed ?? false);
    }
  }

  stats(): PoolStats {
    return {
      total: this.pool.totalCount,
      idle: this.pool.idleCount,
      waiting: this.pool.waitingCount,
    };
  }

  idle(): boolean {
    return this.active.size === 0 && this.pool.waitingCount === 0;
  }

  onActivity(listener: () => void): void {
    this.listeners.push(listener);
  }

  async end(force: boolean): Promise<void> {
    // ending a client with a query running cuts its socket; the query fails
    if (force) await Promise.all([...this.active].map((client) => client.end().catch(() => {})));
    if (!this.pool.ended) await this.pool.end();
    // the pool is done when its clients said goodbye; wait until their sockets are closed too
    await Promise.all([...this.sockets].map((socket) => once(socket, 'close')));
  }
}

/** The socket under a pg client (`client.connection.stream`), when it has one. */
function socketOf(client: PoolClient): Socket | undefined {
  return (client as unknown as { connection?: { stream?: Socket } }).connection?.stream;
}
