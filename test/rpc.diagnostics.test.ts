import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, Embed, Flavor, Plug, type Plugin } from '../src/index.js';
import { RpcFlavor } from '../flavors/rpc/index.js';
import type { HttpHandlers } from '../plugins/http/index.js';
import { captureLines } from './helpers/recording.js';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Chromium (.ci/run); elsewhere the browser test runs when it is there.
const browserTest = existsSync(CHROMIUM) || process.env.CI ? it : it.skip;

class ShopPlugin implements Plugin {
  deps!: { http: HttpHandlers; search: Plugin };
  init(): void {
    this.deps.http.get('/shop', (_req, res) => void res.json({ open: true }));
  }
}

class SearchPlugin implements Plugin {
  init(): void {}
}

@Flavor()
class ShopFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() search = new SearchPlugin();
  @Plug() shop = new ShopPlugin();
  inject(): void {
    this.shop.deps = { http: this.rpc.http, search: this.search };
  }
}

/** Reads the `data` of each Server-Sent Event of `url` in turn. */
async function events(target: string) {
  const res = await fetch(target);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(): Promise<string> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6));
          if (data.length > 0) return data.join('\n');
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the event stream ended');
        buffer += value;
      }
    },
    /** Resolves when the server ends the stream. */
    async ended(): Promise<void> {
      while (!(await reader.read()).done);
    },
    cancel: () => reader.cancel(),
  };
}

/** Runs `use` with a page of a headless Chromium, closed after. */
async function inBrowser(use: (page: Page) => Promise<void>): Promise<void> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    await use(await browser.newPage());
  } finally {
    await browser.close();
  }
}

describe('diagnostics: the live stream', () => {
  it('ends when the agent stops, so that the stop does not wait for it', async () => {
    const app = new ShopFlavor();
    const agent = new Agent(app, {
      name: 'shop',
      env: {},
      config: { http: { port: 0, drainTimeout: 600_000 } },
      log: { stream: captureLines().stream },
    });
    await agent.start();
    const stream = await events(
      `http://127.0.0.1:${app.rpc.http.address().port}/diagnostics/events`,
    );
    await stream.next();
    await Promise.all([agent.stop(), stream.ended()]);
  });
});

describe('diagnostics', () => {
  const app = new ShopFlavor();
  const agent = new Agent(app, {
    name: 'shop',
    env: {},
    config: { http: { port: 0 } },
    log: { stream: captureLines().stream },
  });
  let url = '';

  beforeAll(async () => {
    await agent.start();
    url = `http://127.0.0.1:${app.rpc.http.address().port}`;
  });
  afterAll(() => agent.stop());

  it('serves every plugin with state, init duration, dependencies and timeline as JSON', async () => {
    const report = (await (await fetch(`${url}/diagnostics.json`)).json()) as {
      agent: { name: string; state: string };
      plugins: Array<{
        name: string;
        health: string;
        dependsOn: string[];
        timings: { init?: number };
      }>;
      timeline: Array<{ plugin: string; phase: string; startMs: number; durationMs: number }>;
    };
    expect(report.agent).toMatchObject({ name: 'shop', state: 'ok' });
    expect(report.plugins.map((p) => p.name)).toEqual(agent.plugins.map((p) => p.name));
    const shop = report.plugins.find((p) => p.name === 'shop')!;
    expect(shop).toMatchObject({ health: 'ok', dependsOn: ['http', 'search'] });
    expect(shop.timings.init).toBeGreaterThanOrEqual(0);
    const bars = report.timeline;
    for (let i = 1; i < bars.length; i++) {
      // one call at a time: each bar begins once the one before it ended
      expect(bars[i]!.startMs).toBeGreaterThanOrEqual(
        bars[i - 1]!.startMs + bars[i - 1]!.durationMs - 1e-6,
      );
    }
  });

  it('escapes plugin names and errors in the page', async () => {
    const html = await (await fetch(`${url}/diagnostics`)).text();
    expect(html).toContain('<!doctype html>');
    // only its own inline script, nothing from elsewhere
    expect(html).not.toMatch(/<script[^>]*src|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it('pushes the page content on its live stream when a plugin changes state', async () => {
    const stream = await events(`${url}/diagnostics/events`);
    try {
      expect(await stream.next()).toMatch(/data-plugin="search"/);
      app.rpc.local.statusCheck.report('search', 'error', 'search index <lost>');
      const changed = await stream.next();
      expect(changed).toMatch(/<tr class="plugin" data-plugin="search">/);
      expect(changed).toContain('search index &#60;lost&#62;');
      expect(changed).toMatch(/State: <span[^>]*>degraded|State: <span[^>]*>error/);
      app.rpc.local.statusCheck.report('search', 'ok');
      expect(await stream.next()).not.toContain('search index');
    } finally {
      await stream.cancel();
    }
  });

  browserTest(
    'refreshes itself in a real browser when a plugin changes state',
    async () => {
      await inBrowser(async (page) => {
        await page.goto(`${url}/diagnostics`);
        await page.locator('#live', { hasText: 'live' }).waitFor();
        app.rpc.local.statusCheck.report('search', 'error', 'replica unreachable');
        const row = page.locator('tr[data-plugin="search"]');
        await row.filter({ hasText: 'replica unreachable' }).waitFor({ timeout: 10_000 });
        expect(await row.locator('.state').textContent()).toBe('error');
        app.rpc.local.statusCheck.report('search', 'ok');
        await row.filter({ hasNotText: 'replica unreachable' }).waitFor({ timeout: 10_000 });
      });
    },
    60_000,
  );

  browserTest(
    'renders the plugin rows, the timeline and the dependency graph in a real browser',
    async () => {
      await inBrowser(async (page) => {
        await page.goto(`${url}/diagnostics`);
        const rows = await page
          .locator('tr.plugin')
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-plugin')));
        expect(rows).toEqual(agent.plugins.map((p) => p.name));
        expect(await page.locator('#graph .node').count()).toBe(agent.plugins.length);
        const edges = agent.plugins.reduce((n, p) => n + p.dependsOn.length, 0);
        expect(await page.locator('#graph .edge').count()).toBe(edges);
        const graph = await page.locator('#graph').boundingBox();
        expect(graph!.width).toBeGreaterThan(300);
        expect(await page.locator('#timeline rect').count()).toBeGreaterThan(agent.plugins.length);
        const shot = join(mkdtempSync(join(tmpdir(), 'flavorkit-diagnostics-')), 'diagnostics.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
        console.log(`diagnostics screenshot: ${shot}`);
      });
    },
    60_000,
  );
});
