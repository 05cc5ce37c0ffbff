import pg from 'pg';
import { shared, suffix } from './servers.js';

/** A database of the test's own on the shared server; `drop()` removes it. */
export interface TempDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Runs one statement on the shared server's `test` database. */
async function admin(sql: string): Promise<void> {
  const client = new pg.Client(shared.postgres);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates `flavorkit_<random>` on the shared PostgreSQL server. */
export async function tempDatabase(): Promise<TempDatabase> {
  const name = `flavorkit_${suffix()}`;
  await admin(`CREATE DATABASE ${name}`);
  const { host, port, user } = shared.postgres;
  return {
    name,
    url: `postgres://${user}@${host}:${port}/${name}`,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
