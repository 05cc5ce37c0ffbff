import { fileURLToPath } from 'node:url';
import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { PostgresPlugin } from 'flavorkit/plugins/postgres';
import { RedisPlugin } from 'flavorkit/plugins/redis';
import { TodosPlugin } from './todos.js';

/** The folder of the service's migrations. */
export const migrations = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * A todo service: the RPC flavor, Postgres (embedded PGlite unless a server is
 * configured), an optional Redis cache, and the todos API.
 */
@Flavor()
export class TodoFlavor {
  @Embed() rpc = new RpcFlavor();
  // the first PGlite start on a machine runs initdb: give it time
  @Plug({ timeout: 60_000 }) db = new PostgresPlugin();
  @Plug({ optional: true }) cache = new RedisPlugin();
  @Plug() todos = new TodosPlugin();

  inject(): void {
    const deps = { status: this.rpc.local.statusCheck, metrics: this.rpc.prometheus };
    this.db.deps = deps;
    this.cache.deps = deps;
    // the cache is looked up per request, so the todos API runs without it
    this.todos.deps = { http: this.rpc.http, db: this.db, cache: () => this.cache };
  }
}
