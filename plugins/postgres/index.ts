export { PostgresConfig } from './config.js';
export type { Database, QueryResult, Queryable } from './database.js';
export { PostgresPlugin, type PostgresDeps } from './plugin.js';
