// How long after process start a hello agent (the RPC flavor: HTTP server, probes,
// metrics, log manager, diagnostics, status check, logs) is ready, running the
// compiled package from dist/ as users do; beside it, the same process that only
// prints (Node's own start-up), measured in the same run.
// Usage: npm run build && npm run bench:hello
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
if (!existsSync(join(dist, 'src/index.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const ROUNDS = 7;
const url = (path: string) => pathToFileURL(join(dist, path)).href;

// performance.now() counts from the start of the process
const hello = `
const { Agent, Embed, Flavor } = await import(${JSON.stringify(url('src/index.js'))});
const { RpcFlavor } = await import(${JSON.stringify(url('flavors/rpc/index.js'))});
const imported = performance.now();
class Hello { rpc = new RpcFlavor(); }
Embed()(Hello.prototype, 'rpc');
Flavor()(Hello);
const agent = new Agent(new Hello(), { name: 'hello', env: {}, config: { http: { port: 0 } }, log: { level: 'error' } });
await agent.start();
const ready = performance.now();
await agent.stop();
console.log(JSON.stringify({ imported, ready }));
`;
const bare = `console.log(JSON.stringify({ imported: performance.now(), ready: performance.now() }));`;

const dir = mkdtempSync(join(tmpdir(), 'fk-hello-'));
function run(source: string): { imported: number; ready: number } {
  const file = join(dir, 'main.mjs');
  writeFileSync(file, source);
  const out = spawnSync(process.execPath, [file], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr);
  return JSON.parse(out.stdout.trim().split('\n').pop()!) as { imported: number; ready: number };
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const helloRuns: Array<{ imported: number; ready: number }> = [];
const bareRuns: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    helloRuns.push(run(hello));
    bareRuns.push(run(bare).ready);
  }
} finally {
  rmSync(dir, { recursive: true });
}
const ready = median(helloRuns.map((r) => r.ready));
const imported = median(helloRuns.map((r) => r.imported));
const node = median(bareRuns);
console.log(
  `hello agent ready ${ready.toFixed(1)} ms after process start (target < 250 ms); ` +
    `imports done at ${imported.toFixed(1)} ms; an empty script prints at ${node.toFixed(1)} ms; median of ${ROUNDS}`,
);
