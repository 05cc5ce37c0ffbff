import { inject, injectable } from 'inversify';
import { describe, expect, it } from 'vitest';
import { Agent, Flavor, Plug } from '../src/index.js';
import { journal, quiet, RecordingPlugin } from './helpers/recording.js';

class StorePlugin extends RecordingPlugin {
  get(key: string): string {
    return `value of ${key}`;
  }
}

@injectable()
class Repository {
  constructor(
    @inject(StorePlugin) readonly byClass: StorePlugin,
    @inject('cache') readonly byName: RecordingPlugin,
  ) {}
}

describe('agent.container', () => {
  it('binds each plugin by name and by its class, for @inject in application components', () => {
    const j = journal();
    @Flavor()
    class App {
      @Plug() store = new StorePlugin('store', j.calls);
      @Plug() cache = j.plugin('cache');
    }
    const app = new App();
    const agent = new Agent(app, quiet);
    agent.container.bind(Repository).toSelf();
    const repo = agent.container.get(Repository);
    expect(repo.byClass).toBe(app.store);
    expect(repo.byClass.get('k')).toBe('value of k');
    expect(repo.byName).toBe(app.cache);
  });

  it('binds a class shared by two plugins only by their names', () => {
    const j = journal();
    @Flavor()
    class App {
      @Plug({ name: 'primary-db' }) primary = new StorePlugin('p', j.calls);
      @Plug({ name: 'analytics-db' }) analytics = new StorePlugin('a', j.calls);
    }
    const app = new App();
    const agent = new Agent(app, quiet);
    expect(agent.container.get('analytics-db')).toBe(app.analytics);
    expect(agent.container.isBound(StorePlugin)).toBe(false);
  });
});
