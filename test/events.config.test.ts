import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/index.js';
import { chooseBackend, EventsConfig } from '../plugins/events/index.js';

const config = (values: Partial<EventsConfig>) => Object.assign(new EventsConfig(), values);

describe('choosing the events backend', () => {
  it('uses memory when nothing is configured', () => {
    expect(chooseBackend(config({}), 'events')).toBe('memory');
  });

  it('follows the url scheme', () => {
    expect(chooseBackend(config({ url: 'nats://127.0.0.1:4222' }), 'events')).toBe('nats');
    expect(chooseBackend(config({ url: 'amqp://guest:guest@127.0.0.1' }), 'events')).toBe(
      'rabbitmq',
    );
    expect(chooseBackend(config({ url: 'amqps://h' }), 'events')).toBe('rabbitmq');
  });

  it('refuses a backend without a url, a url of another backend, and unknown schemes', () => {
    const cases: Array<[Partial<EventsConfig>, string]> = [
      [{ backend: 'nats' }, 'url'],
      [{ backend: 'nats', url: 'amqp://h' }, 'backend'],
      [{ url: 'redis://h' }, 'url'],
    ];
    for (const [values, setting] of cases) {
      let thrown: unknown;
      try {
        chooseBackend(config(values), 'events');
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).issues[0]).toMatchObject({ plugin: 'events', setting });
    }
  });
});
