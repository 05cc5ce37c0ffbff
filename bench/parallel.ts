// Start time of 50 plugins whose init waits 20 ms on a timer, in a dependency graph
// five levels deep (10 plugins per level, each depending on two of the level before):
// concurrency 16 against one call at a time, and against the critical path (5 x 20 ms).
// Usage: npm run bench:parallel
import { Agent, type NamedPlugin, type Plugin } from '../src/index.js';

const LEVELS = 5;
const PER_LEVEL = 10;
const INIT_MS = 20;
const ROUNDS = 5;

class WaitingPlugin implements Plugin {
  constructor(readonly deps: Record<string, Plugin>) {}
  init(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, INIT_MS));
  }
}

function graph(): NamedPlugin[] {
  const levels: WaitingPlugin[][] = [];
  for (let level = 0; level < LEVELS; level++) {
    const below = levels[level - 1] ?? [];
    levels.push(
      Array.from({ length: PER_LEVEL }, (_, i) => {
        const deps: Record<string, Plugin> = {};
        if (below.length > 0) {
          deps.first = below[i]!;
          deps.second = below[(i + 1) % PER_LEVEL]!;
        }
        return new WaitingPlugin(deps);
      }),
    );
  }
  return levels.flatMap((plugins, level) =>
    plugins.map((plugin, i) => ({ name: `l${level}-p${i}`, plugin })),
  );
}

async function startMs(concurrency: number): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const agent = new Agent(graph(), { concurrency, log: { level: 'error' } });
    const began = performance.now();
    await agent.start();
    times.push(performance.now() - began);
    await agent.stop();
  }
  return times.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
}

const critical = LEVELS * INIT_MS;
const parallel = await startMs(16);
const sequential = await startMs(1);
console.log(
  `${LEVELS * PER_LEVEL} plugins, init ${INIT_MS} ms each, ${LEVELS} levels deep (median of ${ROUNDS}):`,
);
console.log(
  `  concurrency 16: ${parallel.toFixed(1)} ms = ${(parallel / critical).toFixed(2)}x the critical path of ${critical} ms (target <= 1.3x)`,
);
console.log(
  `  concurrency 1:  ${sequential.toFixed(1)} ms (${(sequential / parallel).toFixed(1)}x concurrency 16; ${LEVELS * PER_LEVEL} x ${INIT_MS} ms = ${LEVELS * PER_LEVEL * INIT_MS} ms)`,
);
