import { execFileSync } from 'node:child_process';
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
