import { inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { mockPlugin, testAgent, TestSetupError } from '../src/testing/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';

interface Clock {
  now(): number;
}

class SystemClockPlugin implements Plugin, Clock {
  private offset = 0;
  init(): void {
    this.offset = 0;
  }
  now(): number {
    return Date.now() + this.offset;
  }
}

class ReportPlugin implements Plugin {
  deps!: { clock: Clock; http: HttpHandlers };
  init(ctx: InitContext): void {
    ctx.log.info('report ready', { at: this.deps.clock.now() });
    this.deps.http.get('/time', (_req, res) => void res.json({ now: this.deps.clock.now() }));
  }
}

@Flavor()
class TimeFlavor {
  @Plug() clock = new SystemClockPlugin();
}

@Flavor()
class ReportFlavor {
  @Embed() rpc = new RpcFlavor();
  @Embed() time = new TimeFlavor();
  @Plug() report = new ReportPlugin();
  inject(): void {
    this.report.deps = { clock: this.time.clock, http: this.rpc.http };
  }
}

const fixedClock = () => mockPlugin({ now: () => 1_000 });

describe('testAgent', () => {
  it('swaps a plugin at any depth before inject(), so dependents are wired to the mock', async () => {
    const t = await testAgent(new ReportFlavor(), { swap: { 'time.clock': fixedClock() } });
    expect(await t.request('GET', '/time')).toMatchObject({ status: 200, body: { now: 1000 } });
    expect(t.logs.find((l) => l.message === 'report ready')).toMatchObject({
      logger: 'report',
      at: 1000,
    });
  });

  it('swaps by plugin name too', async () => {
    const t = await testAgent(new ReportFlavor(), { swapByName: { clock: fixedClock() } });
    expect((await t.request<{ now: number }>('GET', '/time')).body.now).toBe(1000);
  });

  it('refuses a swap or a removal that matches no plugin, naming it', async () => {
    await expect(
      testAgent(new ReportFlavor(), { swapByName: { clokc: fixedClock() } }),
    ).rejects.toThrow(TestSetupError);
    await expect(
      testAgent(new ReportFlavor(), { swapByName: { clokc: fixedClock() } }),
    ).rejects.toThrow(/"clokc"/);
    await expect(testAgent(new ReportFlavor(), { remove: ['rpc.nothing'] })).rejects.toThrow(
      /"rpc.nothing"/,
    );
  });

  it('type-checks swap paths and the shape of mocks', () => {
    // never called: `npm test` type-checks these lines, and each must fail to compile
    const compileOnly = () => [
      testAgent(new ReportFlavor(), {
        // @ts-expect-error: there is no plugin at time.clok
        swap: { 'time.clok': fixedClock() },
      }),
      testAgent(new ReportFlavor(), {
        // @ts-expect-error: a clock's now() returns a number
        swap: { 'time.clock': mockPlugin({ now: () => 'noon' }) },
      }),
    ];
    expect(typeof compileOnly).toBe('function');
  });

  it('removes and adds plugins for the test', async () => {
    const extra = mockPlugin();
    const t = await testAgent(new ReportFlavor(), {
      remove: ['rpc.diagnostics', 'prometheus'],
      add: { extra },
    });
    const names = t.agent.plugins.map((p) => p.name);
    expect(names).not.toContain('diagnostics');
    expect(names).not.toContain('prometheus');
    expect(names.at(-1)).toBe('extra');
    expect(extra.calls).toEqual(['init', 'afterInit']);
    expect((await t.request('GET', '/metrics')).status).toBe(404);
  });

  it('reads configuration from code only, unless told otherwise', async () => {
    process.env.TEST_HTTP_DRAIN_TIMEOUT = 'not a number';
    try {
      const t = await testAgent(new ReportFlavor(), { config: { http: { bodyLimit: '2kb' } } });
      expect(t.agent.status().state).toBe('ok');
    } finally {
      delete process.env.TEST_HTTP_DRAIN_TIMEOUT;
    }
    await expect(
      testAgent(new ReportFlavor(), { env: { TEST_HTTP_DRAIN_TIMEOUT: 'soon' } }),
    ).rejects.toMatchObject({ code: 'FK_CONFIG' });
  });

  it('records every lifecycle call in order and lets a mock fail or hang on purpose', async () => {
    const t = await testAgent(new ReportFlavor(), { swap: { 'time.clock': fixedClock() } });
    await t.stop();
    expect(t.calls.indexOf('clock.init')).toBeLessThan(t.calls.indexOf('report.init'));
    expect(t.calls.indexOf('http.beforeClose')).toBeLessThan(t.calls.indexOf('clock.close'));

    const failing = mockPlugin({ now: () => 0 }, { fail: 'init' });
    const f = await testAgent(new ReportFlavor(), {
      swap: { 'time.clock': failing },
      start: false,
    });
    await expect(f.agent.start()).rejects.toMatchObject({ plugin: 'clock', phase: 'init' });

    const hanging = mockPlugin({ now: () => 0 }, { hang: 'close' });
    const h = await testAgent(new ReportFlavor(), {
      swap: { 'time.clock': hanging },
      agent: { timeout: 50 },
    });
    await expect(h.stop()).rejects.toMatchObject({ code: 'FK_AGENT_STOP' });
    expect(h.calls.indexOf('http.close')).toBeGreaterThan(h.calls.indexOf('clock.close'));
  });

  it("makes a member-less mock from a behaviour alone, as in mockPlugin({ fail: 'init' })", async () => {
    const failing = mockPlugin({ fail: 'afterInit' });
    const t = await testAgent(new ReportFlavor(), { add: { failing }, start: false });
    await expect(t.agent.start()).rejects.toMatchObject({ plugin: 'failing', phase: 'afterInit' });
    expect(failing.calls).toEqual(['init', 'afterInit', 'close']);
  });

  it('lets a test re-bind what application components get from the container', async () => {
    @injectable()
    class Greeting {
      constructor(@inject('clock') private readonly clock: Clock) {}
      text(): string {
        return `it is ${this.clock.now()}`;
      }
    }
    const t = await testAgent(new ReportFlavor());
    t.agent.container.bind(Greeting).toSelf();
    t.agent.container.rebind('clock').toConstantValue({ now: () => 42 });
    expect(t.agent.container.get(Greeting).text()).toBe('it is 42');
  });
});
