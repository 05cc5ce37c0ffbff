import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { mockPlugin, testAgent } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';

/** Holds an interval from its async init until close: a plugin that cleans up after itself. */
class HolderPlugin implements Plugin {
  private timer?: NodeJS.Timeout | undefined;
  async init(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.timer = setInterval(() => undefined, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  close(): void {
    clearInterval(this.timer);
  }
}

@Flavor()
class HolderFlavor {
  @Plug() holder = new HolderPlugin();
}

@Flavor()
class EmptyFlavor {}

// kept open until every test of this file is done: the agents' checks see them alive
const testServers: Server[] = [];
const testTimers: NodeJS.Timeout[] = [];
afterAll(async () => {
  testTimers.forEach(clearTimeout);
  await Promise.all(testServers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('leak checks blame only what a plugin made', () => {
  it('never blames a plugin for a server the test opens after the agent started', async () => {
    const t = await testAgent(new RpcFlavor());
    const server = createServer().listen(0, '127.0.0.1');
    testServers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    expect((await t.request('GET', '/liveness')).status).toBe(200);
  });

  it('never lets two agents started together blame each other', async () => {
    await Promise.all([
      testAgent(new HolderFlavor(), { agent: { name: 'left' } }),
      testAgent(new HolderFlavor(), { agent: { name: 'right' } }),
    ]);
  });

  it('never blames a plugin for timers the test sets while the plugin starts', async () => {
    const started = testAgent(new HolderFlavor());
    testTimers.push(setTimeout(() => undefined, 60_000));
    await started;
  });
});

describe('mock plugins', () => {
  it('expose the context of their last init as ctx', async () => {
    const mock = mockPlugin({ greet: () => 'hi' });
    const t = await testAgent(new EmptyFlavor(), { add: { greeter: mock } });
    expect(mock.ctx?.name).toBe('greeter');
    expect(mock.ctx?.agent).toBe(t.agent);
    const ctx: InitContext | undefined = mockPlugin().ctx;
    expect(ctx).toBeUndefined();
  });
});
