// How long after process start a hello agent (the RPC flavor: HTTP server, probes,
// metrics, log manager, diagnostics, status check, logs) answers GET /readiness with
// 200, running the compiled package from dist/ as users do; beside it, in the same
// run, a bare express app answering the same route and a process that only prints
// (Node's own start-up).
// Usage: npm run build && npm run bench:hello
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

// performance.now() counts from the start of the process; "ready" is when GET /readiness
// answered 200, asked from inside the process over a real socket
const answered = `
const { get } = await import('node:http');
const status = (port) => new Promise((resolve, reject) =>
  get({ host: '127.0.0.1', port, path: '/readiness' }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject));
`;
const hello = `${answered}
const { Agent, Embed, Flavor } = await import(${JSON.stringify(url('src/index.js'))});
const { RpcFlavor } = await import(${JSON.stringify(url('flavors/rpc/index.js'))});
const imported = performance.now();
class Hello { rpc = new RpcFlavor(); }
Embed()(Hello.prototype, 'rpc');
Flavor()(Hello);
const root = new Hello();
const agent = new Agent(root, { name: 'hello', env: {}, config: { http: { port: 0 } }, log: { level: 'error' } });
await agent.start();
if ((await status(root.rpc.http.address().port)) !== 200) throw new Error('/readiness is not 200');
const ready = performance.now();
await agent.stop();
console.log(JSON.stringify({ imported, ready }));
`;
// the same answer from a bare express app: what any express service pays
const expressUrl = pathToFileURL(createRequire(import.meta.url).resolve('express')).href;
const express = `${answered}
const { default: express } = await import(${JSON.stringify(expressUrl)});
const imported = performance.now();
const app = express();
app.get('/readiness', (_req, res) => res.send('ok'));
const server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
if ((await status(server.address().port)) !== 200) throw new Error('/readiness is not 200');
const ready = performance.now();
server.close();
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
const expressRuns: number[] = [];
const bareRuns: number[] = [];
try {
  for (let i = 0; i < ROUNDS; i++) {
    helloRuns.push(run(hello));
    expressRuns.push(run(express).ready);
    bareRuns.push(run(bare).ready);
  }
} finally {
  rmSync(dir, { recursive: true });
}
const ready = median(helloRuns.map((r) => r.ready));
const imported = median(helloRuns.map((r) => r.imported));
const node = median(bareRuns);
const plain = median(expressRuns);
console.log(
  `hello agent (RPC flavor) answers /readiness 200 at ${ready.toFixed(1)} ms after process start ` +
    `(target < 250 ms; imports done at ${imported.toFixed(1)} ms); a bare express app at ` +
    `${plain.toFixed(1)} ms (${(ready / plain).toFixed(2)}x); an empty script prints at ${node.toFixed(1)} ms; ` +
    `median of ${ROUNDS}`,
);
