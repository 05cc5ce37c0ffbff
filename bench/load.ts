// HTTP load for the benchmarks: wrk when it is installed (it costs less CPU than
// the server it loads), autocannon otherwise.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import autocannon from 'autocannon';

/** What one load run measured. */
export interface LoadResult {
  /** Requests per second. */
  rate: number;
  /** Requests answered. */
  requests: number;
  /** 99th percentile latency in ms. */
  p99: number;
}

const WRK = '/usr/bin/wrk';

/** The load generator this machine has: `wrk` or `autocannon`. */
export const loadTool = executable(WRK) ? 'wrk' : 'autocannon';

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Loads `url` with `connections` keep-alive connections for `seconds`; any non-2xx or error throws. */
export async function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return loadTool === 'wrk'
    ? wrk(url, connections, seconds)
    : autocannonLoad(url, connections, seconds);
}

/**
 * `command` run on one CPU when the machine has two or more and `taskset`: the
 * load generator and the server it loads then never share a core.
 */
export function onCpu(cpu: number, command: string, args: string[]): [string, string[]] {
  return availableParallelism() >= 2 && executable(TASKSET)
    ? [TASKSET, ['-c', String(cpu), command, ...args]]
    : [command, args];
}

const TASKSET = '/usr/bin/taskset';

async function wrk(url: string, connections: number, seconds: number): Promise<LoadResult> {
  const [command, args] = onCpu(0, WRK, [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    url,
  ]);
  const { stdout } = await promisify(execFile)(command, args);
  const bad = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (bad) throw new Error(`${url}: ${bad[0]}`);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(stdout);
  if (!p99 || !Number.isFinite(rate)) throw new Error(`unexpected wrk output:\n${stdout}`);
  const scale = { us: 0.001, ms: 1, s: 1000 }[p99[2] as 'us' | 'ms' | 's'];
  return { rate, requests, p99: Number(p99[1]) * scale };
}

async function autocannonLoad(
  url: string,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  const result = await autocannon({ url, connections, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return {
    rate: result.requests.average,
    requests: result.requests.total,
    p99: result.latency.p99,
  };
}
