import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { listeningUrl, runTs } from '../../test/helpers/child.js';
import { eventually } from '../../test/helpers/eventually.js';

it('accepts an order over HTTP, fulfils it as a task with progress, and shows it in diagnostics and metrics', async () => {
  const child = runTs(fileURLToPath(new URL('./main.ts', import.meta.url)), [], {
    ORDERS_HTTP_PORT: '0',
    ORDERS_LOG_FORMAT: 'json',
  });
  await child.waitFor(/started in/);
  const url = listeningUrl(child);

  const refused = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'tea' }),
  });
  expect(refused.status).toBe(400);

  const accepted = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ item: 'tea', quantity: 2 }),
  });
  expect(accepted.status).toBe(202);
  const { id } = (await accepted.json()) as { id: string };

  let state = '';
  await eventually(() => {
    void fetch(`${url}/orders/${id}`)
      .then((r) => r.json() as Promise<{ state: string }>)
      .then((o) => (state = o.state));
    return state === 'fulfilled';
  });

  const report = (await (await fetch(`${url}/diagnostics.json`)).json()) as {
    tasks: Array<{ name: string; state: string; progress: number }>;
  };
  expect(report.tasks).toContainEqual(
    expect.objectContaining({ name: `fulfil:${id}`, state: 'done', progress: 1 }),
  );
  const page = await (await fetch(`${url}/diagnostics`)).text();
  expect(page).toContain(`fulfil:${id}`);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(
    /^flavorkit_events_published_total\{plugin="events",topic="order.created"\} 1$/m,
  );
  expect(metrics).toMatch(/^flavorkit_tasks_finished_total\{.*state="done"\} 1$/m);

  child.proc.kill('SIGTERM');
  expect((await child.exited).code).toBe(0);
  expect(child.output()).toMatch(/stopped in/);
});
