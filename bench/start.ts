// Start+stop of many no-op plugins spread over nested flavors, against a hand-written
// loop that calls the same methods on the same objects, measured in the same run:
// warm (one agent started and stopped again and again) and cold (a new flavor tree,
// new Agent + start + stop each round, logging at error).
// Usage: npm run bench
import { Agent, Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';

class NoopPlugin implements Plugin {
  init(): void {}
  afterInit(): void {}
  beforeClose(): void {}
  close(): void {}
}

const PER_LEAF = 10;
const LEAVES_PER_BRANCH = 10;

/** An instance of a new flavor class whose fields `f0..` hold what `make(i)` returns. */
function flavor(
  count: number,
  make: (i: number) => object,
  decorate: (i: number) => PropertyDecorator,
): object {
  const cls = class {
    constructor() {
      for (let i = 0; i < count; i++) (this as Record<string, unknown>)[`f${i}`] = make(i);
    }
  };
  for (let i = 0; i < count; i++) decorate(i)(cls.prototype, `f${i}`);
  Flavor()(cls);
  return new cls();
}

/**
 * Root → branches → leaves → plugins: `count` uniquely named no-op plugins, three
 * flavors deep, and the same plugin objects as a flat list.
 */
function tree(count: number): { root: object; plugins: Plugin[] } {
  const plugins: Plugin[] = [];
  const plugin = () => {
    const p = new NoopPlugin();
    plugins.push(p);
    return p;
  };
  const leaf = () => {
    const first = plugins.length;
    return flavor(PER_LEAF, plugin, (i) => Plug({ name: `p${first + i}` }));
  };
  const branch = () => flavor(LEAVES_PER_BRANCH, leaf, () => Embed());
  return { root: flavor(count / (PER_LEAF * LEAVES_PER_BRANCH), branch, () => Embed()), plugins };
}

const silent = { log: { level: 'warn' } } as const;
const WARM_UP_MS = 1_500;
const ROUNDS = 31;

/** Start+stop of one agent over `count` plugins, and the hand loop over the same objects. */
async function measure(count: number): Promise<{ build: number; agent: number; loop: number }> {
  const { root, plugins } = tree(count);
  const t0 = performance.now();
  const agent = new Agent(root, silent);
  const build = performance.now() - t0;
  const ctx = { name: 'noop' } as InitContext;
  const agentRound = async () => {
    const t = performance.now();
    await agent.start();
    await agent.stop();
    return performance.now() - t;
  };
  const loopRound = async () => {
    const t = performance.now();
    for (const p of plugins) await p.init(ctx);
    for (const p of plugins) await p.afterInit?.(ctx);
    for (let i = plugins.length - 1; i >= 0; i--) await plugins[i]!.beforeClose?.();
    for (let i = plugins.length - 1; i >= 0; i--) await plugins[i]!.close?.();
    return performance.now() - t;
  };
  for (const until = Date.now() + WARM_UP_MS; Date.now() < until;) {
    await agentRound();
    await loopRound();
  }
  const agentTimes: number[] = [];
  const loopTimes: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    agentTimes.push(await agentRound());
    loopTimes.push(await loopRound());
  }
  return { build, agent: median(agentTimes), loop: median(loopTimes) };
}

const COLD_ROUNDS = 21;

/** CPU time of this process in ms: what other processes on a loaded machine do not add. */
function cpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** `new Agent()` + start + stop of a fresh tree each round, and the hand loop over a fresh tree. */
async function measureCold(count: number): Promise<{
  first: number;
  agent: number;
  loop: number;
  agentCpu: number;
  loopCpu: number;
}> {
  const agentTimes: number[] = [];
  const loopTimes: number[] = [];
  const agentCpu: number[] = [];
  const loopCpu: number[] = [];
  const ctx = { name: 'noop' } as InitContext;
  for (let i = 0; i < COLD_ROUNDS; i++) {
    const { root } = tree(count);
    const c = cpu();
    const t = performance.now();
    const agent = new Agent(root, { log: { level: 'error' } });
    await agent.start();
    await agent.stop();
    agentTimes.push(performance.now() - t);
    agentCpu.push(cpu() - c);
    const { plugins } = tree(count);
    const lc = cpu();
    const l = performance.now();
    for (const p of plugins) await p.init(ctx);
    for (const p of plugins) await p.afterInit?.(ctx);
    for (let j = plugins.length - 1; j >= 0; j--) await plugins[j]!.beforeClose?.();
    for (let j = plugins.length - 1; j >= 0; j--) await plugins[j]!.close?.();
    loopTimes.push(performance.now() - l);
    loopCpu.push(cpu() - lc);
  }
  return {
    first: agentTimes[0]!,
    agent: median(agentTimes),
    loop: median(loopTimes),
    agentCpu: median(agentCpu),
    loopCpu: median(loopCpu),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

{
  const { first, agent, loop, agentCpu, loopCpu } = await measureCold(10_000);
  console.log(
    ` 10000 plugins cold: new Agent + start + stop ${agent.toFixed(2)} ms (first round ${first.toFixed(2)} ms), ` +
      `hand loop ${loop.toFixed(2)} ms (${(agent / loop).toFixed(2)}x, target <= 2x); in CPU time ` +
      `${agentCpu.toFixed(2)} ms against ${loopCpu.toFixed(2)} ms (${(agentCpu / loopCpu).toFixed(2)}x); ` +
      `median of ${COLD_ROUNDS}`,
  );
}
const agentAt: Record<number, number> = {};
for (const n of [1_000, 10_000]) {
  const { build, agent, loop } = await measure(n);
  agentAt[n] = agent;
  console.log(
    `${String(n).padStart(6)} plugins: agent start+stop ${agent.toFixed(2)} ms, ` +
      `hand loop ${loop.toFixed(2)} ms (${(agent / loop).toFixed(2)}x, target <= 2x); ` +
      `new Agent (flatten+order) ${build.toFixed(2)} ms`,
  );
}
const scale = agentAt[10_000]! / agentAt[1_000]!;
console.log(`10x the plugins costs ${scale.toFixed(2)}x the time (target <= 11x)`);
