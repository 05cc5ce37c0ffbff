// Queries/s of `SELECT 1` and of a small INSERT through the Postgres plugin
// (with its metrics on) against a bare `pg` Pool of the same size, on the same
// server, in the same run. Rounds alternate between the two to share the noise.
// Usage: npm run bench:postgres   (BENCH_DB_URL, default the shared server's `test`)
import 'reflect-metadata';
import pg from 'pg';
import { Registry } from 'prom-client';
import { Agent } from '../src/index.js';
import { PostgresPlugin } from '../plugins/postgres/index.js';

const URL = process.env.BENCH_DB_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = 4;
const WORKERS = 16;
const POOL = 8;
const TABLE = `flavorkit_bench_${Math.random().toString(36).slice(2, 8)}`;

type Query = (text: string, params?: unknown[]) => Promise<unknown>;

/** Runs `WORKERS` loops of `query` for `SECONDS`; returns queries per second. */
async function measure(
  query: Query,
  text: string,
  params: () => unknown[] | undefined,
): Promise<number> {
  const until = performance.now() + SECONDS * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await query(text, params());
      done++;
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return done / ((performance.now() - began) / 1000);
}

const raw = new pg.Pool({ connectionString: URL, max: POOL });
const plugin = new PostgresPlugin();
plugin.deps = { metrics: { registry: new Registry() } };
const agent = new Agent([{ name: 'db', plugin }], {
  name: 'bench',
  env: {},
  config: { db: { url: URL, poolSize: POOL } },
  log: { level: 'warn' },
});
await agent.start();
await raw.query(`CREATE TABLE ${TABLE} (id serial PRIMARY KEY, v text)`);

const cases = [
  { name: 'SELECT 1', text: 'SELECT 1', params: () => undefined },
  { name: 'INSERT', text: `INSERT INTO ${TABLE} (v) VALUES ($1)`, params: () => ['payload'] },
];
const viaRaw: Query = (text, params) => raw.query(text, params);
const viaPlugin: Query = (text, params) => plugin.query(text, params);
try {
  for (const c of cases) {
    await measure(viaRaw, c.text, c.params); // warm up both paths and the server
    await measure(viaPlugin, c.text, c.params);
    const bare: number[] = [];
    const through: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await measure(viaRaw, c.text, c.params));
      through.push(await measure(viaPlugin, c.text, c.params));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const a = median(bare);
    const b = median(through);
    console.log(
      `${c.name.padEnd(9)} raw pg ${a.toFixed(0).padStart(7)} q/s   plugin ${b.toFixed(0).padStart(7)} q/s   ratio ${((b / a) * 100).toFixed(1)}% (target >= 95%)`,
    );
  }
} finally {
  await raw.query(`DROP TABLE ${TABLE}`);
  await raw.end();
  await agent.stop();
}
