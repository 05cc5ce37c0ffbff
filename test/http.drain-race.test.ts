import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GracefulShutdown } from '../plugins/http/shutdown.js';

const servers: Server[] = [];
const offs: Array<() => void> = [];
afterEach(() => {
  for (const off of offs.splice(0)) off();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

async function listening(): Promise<{ shutdown: GracefulShutdown; port: number }> {
  // wired as the HTTP plugin wires it: told of each request first, and of each answer
  const server = createServer((req, res) => {
    shutdown.request(req, res, performance.now());
    res.end('ok');
  });
  servers.push(server);
  const shutdown = new GracefulShutdown(server);
  const answered = (message: unknown) => {
    const { response, socket } = message as { response: ServerResponse; socket: Socket };
    shutdown.answered(socket, response);
  };
  subscribe('http.server.response.finish', answered);
  offs.push(() => unsubscribe('http.server.response.finish', answered));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { shutdown, port: (server.address() as { port: number }).port };
}

/** A raw keep-alive connection: what it received, and how it ended. */
function client(port: number): { socket: Socket; received: () => string; ended: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  const ended = new Promise<string>((resolve) => {
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.on('close', () => resolve('closed'));
  });
  return { socket, received: () => received, ended };
}

const ask = 'GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
const answers = (text: string) => text.split(/(?=HTTP\/1\.1 )/).filter(Boolean);

describe('the drain, for a connection idle when it begins', () => {
  it('answers a request already on its way on an idle keep-alive connection, with Connection: close', async () => {
    const { shutdown, port } = await listening();
    const c = client(port);
    c.socket.write(ask);
    while (answers(c.received()).length < 1 || !c.received().endsWith('ok')) {
      await new Promise((resolve) => c.socket.once('data', resolve));
    }
    expect(c.received()).toContain('Connection: keep-alive');

    // the client sends its next request as the drain begins: it is on the wire, not yet read
    const stopped = shutdown.stop({ delayMs: 0, drainMs: 5_000 });
    c.socket.write(ask);

    expect(await c.ended).toBe('closed');
    const [, second] = answers(c.received());
    expect(second).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(second).toContain('Connection: close');
    expect(await stopped).toBe(0);
  });
});
