// The plugin loader with 2,000 plugin folders: `reload(name)` (to a new version
// folder) and `load(name)` of a folder added after start, against a full scan of
// the directory (`discover()`) measured in the same run; and watch mode picking
// up a new version folder.
// Usage: npm run bench:loader [-- <folders>]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from '../src/index.js';
import { PluginLoader } from '../src/loader/index.js';

const FOLDERS = Number(process.argv[2] ?? 2000);
const ROUNDS = 9;
const MODULE = 'export function createPlugin() { return { init() {}, close() {} }; }\n';

function writeFolder(root: string, name: string, version: string): void {
  const dir = join(root, `${name}-${version}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'index.mjs'), MODULE);
  writeFileSync(
    join(dir, 'plugin.json'),
    JSON.stringify({ name, version, host: '^1.0.0', main: 'index.mjs' }),
  );
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await work();
  return performance.now() - began;
}

const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)]!;

const root = mkdtempSync(join(tmpdir(), 'flavorkit-bench-loader-'));
try {
  for (let i = 0; i < FOLDERS; i++) writeFolder(root, `p${String(i).padStart(4, '0')}`, '1.0.0');
  const agent = new Agent([], { name: 'bench', log: { level: 'error' } });
  await agent.start();
  const loader = new PluginLoader({ dir: root, agent, debounce: 0 });

  const firstScan = await timed(() => loader.discover());
  const loadAll = await timed(() => loader.loadAll());
  const scans: number[] = [];
  for (let round = 0; round < 3; round++) scans.push(await timed(() => loader.discover()));

  const target = `p${String(Math.floor(FOLDERS / 2)).padStart(4, '0')}`;
  const reloads: number[] = [];
  const loads: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    writeFolder(root, target, `1.0.${round}`);
    reloads.push(await timed(() => loader.reload(target)));
    writeFolder(root, `added-${round}`, '1.0.0');
    loads.push(await timed(() => loader.load(`added-${round}`)));
  }
  // watch mode: from writing a new version folder to its `reloaded` event
  loader.watch();
  const watched: number[] = [];
  for (let round = ROUNDS + 1; round <= 2 * ROUNDS; round++) {
    watched.push(
      await timed(async () => {
        const reloaded = new Promise<void>((resolve) => {
          const off = loader.on('reloaded', ({ to }) => {
            if (to === `1.0.${round}`) resolve(off());
          });
        });
        writeFolder(root, target, `1.0.${round}`);
        await reloaded;
      }),
    );
  }
  const running = loader.list().find((p) => p.name === target)!;
  if (running.version !== `1.0.${2 * ROUNDS}` || running.state !== 'loaded') {
    throw new Error(
      `${target} is ${running.state} at ${running.version}, not loaded at 1.0.${2 * ROUNDS}`,
    );
  }
  await loader.close();
  await agent.stop();

  const scan = median(scans);
  const reload = median(reloads);
  const load = median(loads);
  const watch = median(watched);
  console.log(`${FOLDERS} plugin folders (medians of ${ROUNDS}; scans of 3):`);
  console.log(
    `  full scan, discover():      ${scan.toFixed(1)} ms (first, with imports: ${firstScan.toFixed(0)} ms; loadAll ${loadAll.toFixed(0)} ms)`,
  );
  console.log(
    `  reload(name), new version:  ${reload.toFixed(1)} ms = ${(reload / scan).toFixed(3)}x the full scan (target < 50 ms)`,
  );
  console.log(
    `  watch mode, new version:    ${watch.toFixed(1)} ms from writing the folder to \`reloaded\` = ${(watch / scan).toFixed(3)}x the full scan`,
  );
  console.log(
    `  load(name), new folder:     ${load.toFixed(1)} ms = ${(load / scan).toFixed(3)}x the full scan (target < 50 ms)`,
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
