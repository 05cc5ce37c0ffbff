// Requests lost when an RPC-flavor agent stops under keep-alive load. The agent
// (test/fixtures/rpc-agent.ts) runs in a child process; 50 keep-alive connections
// load GET /work (2 ms each) with autocannon, and with wrk when /usr/bin/wrk is
// there; SIGTERM comes in the middle. Two ways to stop, each a few times:
//   balanced: shutdownDelay 2000 ms; the load stops once /readiness answers 503,
//             as a load balancer takes the instance out;
//   direct:   shutdownDelay 0; the load goes on until the process has exited.
// Per stop it prints the failed requests by cause (ECONNRESET are resets), the
// non-2xx answers, the 2xx answers and the exit code.
// Usage: npm run bench:shutdown
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { type Child, listeningUrl, runTs } from '../test/helpers/child.js';

const CONNECTIONS = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const LOAD_MS = 1_500;
const WRK = '/usr/bin/wrk';
const agentFile = fileURLToPath(new URL('../test/fixtures/rpc-agent.ts', import.meta.url));

type Mode = 'balanced' | 'direct';

/** What one stop cost the clients. */
interface Stop {
  failed: Record<string, number>;
  non2xx: number;
  ok: number;
  exit: number | null;
}

/** The load generator, started against a URL: it stops when told and then tells what it saw. */
interface Load {
  stop(): void;
  result: Promise<Omit<Stop, 'exit'>>;
}

function autocannonLoad(url: string): Load {
  const failed: Record<string, number> = {};
  let instance!: autocannon.Instance;
  const result = new Promise<Omit<Stop, 'exit'>>((resolve, reject) => {
    instance = autocannon(
      { url, connections: CONNECTIONS, duration: 120, sampleInt: 100 },
      (err, done) => {
        if (err) return reject(err as Error);
        if (done.timeouts > 0) failed.timeout = done.timeouts;
        resolve({ failed, non2xx: done.non2xx, ok: done['2xx'] });
      },
    );
  });
  instance.on('reqError', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ETIMEDOUT' || /timeout/i.test(err.message)) return;
    const cause = err.code ?? err.message;
    failed[cause] = (failed[cause] ?? 0) + 1;
  });
  return { stop: () => instance.stop(), result };
}

function wrkLoad(url: string): Load {
  const wrk = spawn(WRK, ['-t', '2', '-c', String(CONNECTIONS), '-d', '120s', url]);
  let out = '';
  wrk.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const result = once(wrk, 'exit').then(() => {
    const count = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
    const failed: Record<string, number> = {};
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    for (const [i, name] of ['connect', 'read', 'write', 'timeout'].entries()) {
      const n = Number(socket?.[i + 1] ?? 0);
      if (n > 0) failed[name] = n;
    }
    const total = count(/(\d+) requests in/);
    const non2xx = count(/Non-2xx or 3xx responses: (\d+)/);
    return { failed, non2xx, ok: total - non2xx };
  });
  // wrk prints its figures when interrupted
  return { stop: () => void wrk.kill('SIGINT'), result };
}

async function stopUnderLoad(tool: 'autocannon' | 'wrk', mode: Mode): Promise<Stop> {
  const child: Child = runTs(agentFile, [], {
    SHUT_HTTP_PORT: '0',
    SHUT_HTTP_SHUTDOWN_DELAY: mode === 'balanced' ? '2000' : '0',
    SHUT_LOG_LEVEL: 'info',
  });
  await child.waitFor(/started in/);
  const url = listeningUrl(child);
  const load = (tool === 'wrk' ? wrkLoad : autocannonLoad)(`${url}/work`);
  await new Promise((resolve) => setTimeout(resolve, LOAD_MS));
  child.proc.kill('SIGTERM');
  if (mode === 'balanced') {
    // a refused connection fails a health check as a 503 does
    const ready = () =>
      fetch(`${url}/readiness`).then(
        (res) => res.status === 200,
        () => false,
      );
    while (await ready());
    load.stop();
  } else {
    await child.exited;
    load.stop();
  }
  const [seen, { code }] = await Promise.all([load.result, child.exited]);
  return { ...seen, exit: code };
}

function line(stop: Stop): string {
  const failed = Object.entries(stop.failed).map(([cause, n]) => `${cause} ${n}`);
  return `failed ${failed.length > 0 ? failed.join(', ') : 0}; non-2xx ${stop.non2xx}; 2xx ${stop.ok}; exit ${stop.exit}`;
}

const tools = existsSync(WRK) ? (['autocannon', 'wrk'] as const) : (['autocannon'] as const);
for (const tool of tools) {
  for (const mode of ['balanced', 'direct'] as const) {
    for (let i = 1; i <= ROUNDS; i++) {
      console.log(`${tool} ${mode} stop ${i}: ${line(await stopUnderLoad(tool, mode))}`);
    }
  }
}
