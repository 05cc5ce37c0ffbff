import type { Server } from 'node:http';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonBody } from '../plugins/http/body.js';

const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

/** A server whose one route parses JSON bodies with a nesting limit of 32 and says what it got. */
async function echo(): Promise<{ url: string; reached: () => number }> {
  let reached = 0;
  const app = express();
  app.post('/echo', jsonBody(100 * 1024, 32), (req, res) => {
    reached += 1;
    res.json({ body: req.body as unknown });
  });
  app.use(((err, _req, res, _next) => {
    res.status((err as { status?: number }).status ?? 500).json({ error: (err as Error).message });
  }) as express.ErrorRequestHandler);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/echo`,
    reached: () => reached,
  };
}

const post = (url: string, body: Buffer, charset: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': `application/json; charset=${charset}` },
    body,
  });

// in UTF-16 the letter Ģ (U+0122) has a lone quote byte (0x22), so a count over the bytes
// believes the brackets after it sit inside a string
const hidden = `["\u0122",${'['.repeat(200)}${']'.repeat(200)}]`;

describe('JSON bodies and their nesting limit', () => {
  it.each(['utf-16le', 'utf-16be', 'utf-16'])(
    'refuses a %s body with 415 before the handler, so deep nesting cannot hide in it',
    async (charset) => {
      const { url, reached } = await echo();
      const bytes = Buffer.from(hidden, 'utf16le');
      const res = await post(url, charset === 'utf-16be' ? bytes.swap16() : bytes, charset);
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: string }).error).toContain('UTF-8');
      expect(reached()).toBe(0);
    },
  );

  it('takes UTF-8, whatever the case of the charset, and still refuses the same nesting in it', async () => {
    const { url, reached } = await echo();
    const ok = await post(url, Buffer.from('{"name":"\u0122"}'), 'UTF-8');
    expect(await ok.json()).toEqual({ body: { name: '\u0122' } });
    const deep = await post(url, Buffer.from(hidden), 'utf-8');
    expect(deep.status).toBe(400);
    expect(reached()).toBe(1);
  });
});
