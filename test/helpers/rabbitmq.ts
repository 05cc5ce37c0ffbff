import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { suffix } from './servers.js';

/** A RabbitMQ vhost of the test's own on the shared server, with guest's permissions. */
export function ownVhost(): { url: string; remove: () => void } {
  const vhost = `fk-test-${suffix()}`;
  const ctl = (...args: string[]) =>
    execFileSync('rabbitmqctl', ['-q', ...args], { stdio: 'ignore' });
  ctl('add_vhost', vhost);
  ctl('set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*');
  return {
    url: `amqp://guest:guest@127.0.0.1:5672/${vhost}`,
    remove: () => ctl('delete_vhost', vhost),
  };
}

/** Closes, from the server's side, every client connection to `vhost`. */
export async function dropConnections(url: string): Promise<void> {
  const vhost = new URL(url).pathname.slice(1);
  await promisify(execFile)('rabbitmqctl', [
    '-q',
    'close_all_connections',
    '-p',
    vhost,
    'test drops it',
  ]);
}
