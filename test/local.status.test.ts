import { describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, type InitContext, Plug, type Plugin } from '../src/index.js';
import { LocalFlavor } from '../flavors/local/index.js';
import type { HealthChange, StatusReporter } from '../plugins/status-check/index.js';
import { quiet } from './helpers/recording.js';

class FlakyPlugin implements Plugin {
  deps!: { status: StatusReporter };
  healthy = true;
  init(ctx: InitContext): void {
    this.deps.status.register(
      ctx.name,
      () => {
        if (!this.healthy) throw new Error('upstream unreachable');
      },
      { interval: 5, timeout: 50 },
    );
  }
}

class BrokenPlugin implements Plugin {
  init(): void {
    throw new Error('no GPU');
  }
}

@Flavor()
class App {
  @Embed() local = new LocalFlavor();
  @Plug() flaky = new FlakyPlugin();
  @Plug({ optional: true }) gpu = new BrokenPlugin();

  inject(): void {
    this.flaky.deps = { status: this.local.statusCheck };
  }
}

function nextChange(
  status: StatusReporter,
  match: (c: HealthChange) => boolean,
): Promise<HealthChange> {
  return new Promise((resolve) => {
    const off = status.on('change', (change) => {
      if (match(change)) {
        off();
        resolve(change);
      }
    });
  });
}

describe('status check', () => {
  it('follows the lifecycle, reports degraded for a failing optional plugin, and marks a failing probe', async () => {
    const app = new App();
    const status = app.local.statusCheck;
    const agent = new Agent(app, { ...quiet, name: 'shop' });
    const overall: string[] = [];
    status.on('change', (c) => {
      if (!c.plugin) overall.push(c.state);
    });
    await agent.start();
    expect(status.agentStatus()).toMatchObject({
      state: 'degraded',
      plugins: {
        serviceLabel: { state: 'ok' },
        logs: { state: 'ok' },
        statusCheck: { state: 'ok' },
        flaky: { state: 'ok' },
        gpu: { state: 'error', error: 'no GPU', optional: true },
      },
    });
    expect(agent.status().state).toBe('degraded');

    app.flaky.healthy = false;
    const failed = await nextChange(status, (c) => c.plugin === 'flaky' && c.state === 'error');
    expect(failed.error).toBe('upstream unreachable');
    expect(status.agentStatus().state).toBe('error');

    app.flaky.healthy = true;
    await nextChange(status, (c) => c.plugin === 'flaky' && c.state === 'ok');
    expect(status.agentStatus().state).toBe('degraded');

    await agent.stop();
    expect(overall).toEqual(['degraded', 'error', 'degraded', 'stopping']);
  });

  it('marks a probe that passes its timeout as error', async () => {
    const app = new App();
    const agent = new Agent(app, { ...quiet, name: 'shop' });
    await agent.start();
    const status = app.local.statusCheck;
    status.register('slow', () => new Promise<void>(() => undefined), { interval: 5, timeout: 20 });
    const change = await nextChange(status, (c) => c.plugin === 'slow' && c.state === 'error');
    expect(change.error).toContain('did not answer within 20 ms');
    await agent.stop();
  });

  it('takes reports from plugins themselves', async () => {
    const app = new App();
    const agent = new Agent(app, { ...quiet, name: 'shop' });
    await agent.start();
    app.local.statusCheck.report('flaky', 'error', new Error('disk full'));
    expect(app.local.statusCheck.agentStatus().plugins.flaky).toMatchObject({
      state: 'error',
      error: 'disk full',
    });
    await agent.stop();
  });
});

describe('service label', () => {
  it('is the label option, else MICROSERVICE_LABEL, else the agent name', async () => {
    const labelOf = async (options: ConstructorParameters<typeof Agent>[1]) => {
      const local = new LocalFlavor();
      const agent = new Agent(local, { ...quiet, ...options });
      await agent.start();
      const label = local.serviceLabel.label();
      await agent.stop();
      return label;
    };
    expect(
      await labelOf({ name: 'shop', label: 'shop-eu-1', env: { MICROSERVICE_LABEL: 'x' } }),
    ).toBe('shop-eu-1');
    expect(await labelOf({ name: 'shop', env: { MICROSERVICE_LABEL: 'shop-us-2' } })).toBe(
      'shop-us-2',
    );
    expect(await labelOf({ name: 'shop', env: {} })).toBe('shop');
  });
});
