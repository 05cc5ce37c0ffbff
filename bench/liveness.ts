// /liveness latency of an RPC-flavor agent while four connections post 1 MB of
// nested JSON to an unknown path, against /liveness with no load, in the same run.
// The agent (test/fixtures/rpc-agent.ts) runs in a child process, the body load in
// an autocannon worker thread, and the probe here: one keep-alive connection
// asking /liveness one request after the other.
// Usage: npm run bench:liveness
import { Agent as HttpAgent, request } from 'node:http';
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { listeningUrl, runTs } from '../test/helpers/child.js';

const CONNECTIONS = 4;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEPTH = 512 * 1024;
/** 1 MiB of JSON nested DEPTH arrays deep. */
const BODY = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const agentFile = fileURLToPath(new URL('../test/fixtures/rpc-agent.ts', import.meta.url));

/** Latencies in ms of /liveness asked one after the other for `ms`. */
async function probe(url: string, ms: number): Promise<number[]> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const began = performance.now();
      request(`${url}/liveness`, { agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`/liveness answered ${res.statusCode}`));
        res.resume().on('end', () => resolve(performance.now() - began));
      })
        .on('error', reject)
        .end();
    });
  const latencies: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) latencies.push(await one());
  agent.destroy();
  return latencies;
}

/** /liveness latencies while the body load runs; the load's answers must all be 404. */
async function underLoad(url: string): Promise<number[]> {
  const load = new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(
      {
        url: `${url}/no-such-path`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: BODY,
        connections: CONNECTIONS,
        duration: SECONDS + 1,
        workers: 1,
      },
      (err, result) => (err ? reject(err as Error) : resolve(result)),
    ),
  );
  // let the load reach full speed first
  await new Promise((resolve) => setTimeout(resolve, 500));
  const latencies = await probe(url, SECONDS * 1000);
  const result = await load;
  const notFound = result.statusCodeStats?.['404']?.count ?? 0;
  if (notFound === 0 || notFound !== result.requests.total || result.errors > 0) {
    throw new Error(
      `the body load was not answered 404: ${JSON.stringify(result.statusCodeStats)}`,
    );
  }
  const posted = (result.requests.total * BODY.length) / 2 ** 20 / result.duration;
  console.log(
    `  body load: ${result.requests.total} bodies answered 404, ${posted.toFixed(0)} MB/s`,
  );
  return latencies;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Figures {
  p50: number;
  p99: number;
  count: number;
}

function figures(latencies: number[]): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), count: sorted.length };
}

const ms = (n: number) => `${n.toFixed(2)} ms`;
const mean = (runs: Figures[], key: 'p50' | 'p99') =>
  ms(runs.reduce((sum, run) => sum + run[key], 0) / runs.length);

const child = runTs(agentFile, [], { SHUT_HTTP_PORT: '0' });
await child.waitFor(/started in/);
const url = listeningUrl(child);
const quiet: Figures[] = [];
const busy: Figures[] = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const q = figures(await probe(url, SECONDS * 1000));
    const b = figures(await underLoad(url));
    quiet.push(q);
    busy.push(b);
    console.log(
      `round ${round}: /liveness p50 ${ms(q.p50)}, p99 ${ms(q.p99)} with no load (${q.count} asked); ` +
        `p50 ${ms(b.p50)}, p99 ${ms(b.p99)} under ${CONNECTIONS} connections posting 1 MB nested JSON (${b.count} asked)`,
    );
  }
} finally {
  child.proc.kill('SIGTERM');
  await child.exited;
}
console.log(
  `mean: no load p50 ${mean(quiet, 'p50')}, p99 ${mean(quiet, 'p99')}; ` +
    `under body load p50 ${mean(busy, 'p50')}, p99 ${mean(busy, 'p99')}`,
);
