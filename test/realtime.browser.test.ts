import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';
import { testAgent } from '../src/testing/index.js';
import { ChatFlavor } from '../examples/chat/flavor.js';

it('a page in headless Chromium loads the client bundle from the agent, subscribes and shows messages', async () => {
  const t = await testAgent(new ChatFlavor(), { config: { realtime: { anonymous: true } } });
  const { port } = t.flavor.rpc.http.address();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.locator('#state', { hasText: 'subscribed' }).waitFor({ timeout: 10_000 });
    await t.flavor.realtime.publish('chat:lobby', { text: 'from the server' });
    await page.locator('li', { hasText: 'from the server' }).waitFor({ timeout: 5_000 });
    await page.fill('#text', 'from the page');
    await page.click('button');
    await page.locator('li', { hasText: 'from the page' }).waitFor({ timeout: 5_000 });
    const history = await t.flavor.realtime.history('chat:lobby');
    expect(history.publications.map((p) => p.data)).toEqual([
      { text: 'from the server' },
      { text: 'from the page' },
    ]);
    await page.close();
  } finally {
    await browser.close();
  }
});
