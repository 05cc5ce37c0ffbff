import { describe, expect, it } from 'vitest';
import {
  Agent,
  DuplicatePluginError,
  Embed,
  Flavor,
  InvalidPluginError,
  Plug,
} from '../src/index.js';
import { journal, quiet, RecordingPlugin } from './helpers/recording.js';

const j = journal();

@Flavor()
class Inner {
  @Plug() a = j.plugin('a');
  @Plug() b = j.plugin('b');
}

@Flavor()
class Outer {
  @Plug() first = j.plugin('first');
  @Embed() inner = new Inner();
  @Plug() last = j.plugin('last');
}

describe('flattening a flavor', () => {
  it('lists plugins in declaration order, depth first, with field paths', () => {
    const agent = new Agent(new Outer(), quiet);
    expect(agent.plugins.map((p) => [p.name, p.path])).toEqual([
      ['first', 'first'],
      ['a', 'inner.a'],
      ['b', 'inner.b'],
      ['last', 'last'],
    ]);
  });

  it('lists a flavor instance reached twice (a diamond) once, at its first place', () => {
    const shared = new Inner();
    @Flavor()
    class Left {
      @Embed() common = shared;
      @Plug() left = j.plugin('left');
    }
    @Flavor()
    class Right {
      @Embed() common = shared;
      @Plug() right = j.plugin('right');
    }
    @Flavor()
    class Top {
      @Embed() l = new Left();
      @Embed() r = new Right();
    }
    const agent = new Agent(new Top(), quiet);
    expect(agent.plugins.map((p) => p.path)).toEqual([
      'l.common.a',
      'l.common.b',
      'l.left',
      'r.right',
    ]);
  });

  it('lists a plugin instance held by two fields once', () => {
    const shared = j.plugin('s');
    @Flavor()
    class Twice {
      @Plug({ name: 'db' }) one = shared;
      @Plug({ name: 'db' }) two = shared;
    }
    expect(new Agent(new Twice(), quiet).plugins.map((p) => p.path)).toEqual(['one']);
  });

  it('refuses two different instances with one name, naming both paths', () => {
    @Flavor()
    class Clash {
      @Embed() inner = new Inner();
      @Plug({ name: 'a' }) other = j.plugin('other');
    }
    const error = catchError(() => new Agent(new Clash(), quiet));
    expect(error).toBeInstanceOf(DuplicatePluginError);
    expect(error).toMatchObject({ code: 'FK_DUPLICATE_PLUGIN', paths: ['inner.a', 'other'] });
  });

  it('runs one plugin class twice under distinct names', () => {
    @Flavor()
    class TwoDbs {
      @Plug({ name: 'primary-db' }) primary = j.plugin('p');
      @Plug({ name: 'analytics-db' }) analytics = j.plugin('q');
    }
    expect(new Agent(new TwoDbs(), quiet).plugins.map((p) => p.name)).toEqual([
      'primary-db',
      'analytics-db',
    ]);
  });

  it.each([
    ['undefined', undefined],
    ['a plain object without init', { close() {} }],
  ])('refuses a @Plug field holding %s, naming its path', (_, value) => {
    @Flavor()
    class Broken {
      @Embed() inner = new Inner();
      @Plug() missing = value;
    }
    const error = catchError(() => new Agent(new Broken(), quiet));
    expect(error).toBeInstanceOf(InvalidPluginError);
    expect(error).toMatchObject({ code: 'FK_INVALID_PLUGIN', path: 'missing' });
  });

  it('refuses an @Embed field that holds no flavor, naming its path', () => {
    @Flavor()
    class Broken {
      @Embed() inner = {};
    }
    expect(catchError(() => new Agent(new Broken(), quiet))).toMatchObject({ path: 'inner' });
  });

  it("keeps a parent flavor's fields before a child's", () => {
    @Flavor()
    class Base {
      @Plug() base = j.plugin('base');
    }
    @Flavor()
    class Child extends Base {
      @Plug() own = j.plugin('own');
    }
    expect(new Agent(new Child(), quiet).plugins.map((p) => p.name)).toEqual(['base', 'own']);
  });

  it('accepts plain plugins and named entries without a flavor', () => {
    class CachePlugin {
      init() {}
    }
    const agent = new Agent(
      [new CachePlugin(), { name: 'store', plugin: j.plugin('s'), optional: true }],
      quiet,
    );
    expect(agent.plugins.map((p) => [p.name, p.optional])).toEqual([
      ['cache', false],
      ['store', true],
    ]);
  });
});

describe('inject()', () => {
  it('runs once per instance, embedded flavors first, even over two agents and two starts', async () => {
    const order: string[] = [];
    @Flavor()
    class Low {
      @Plug() low = j.plugin('low');
      inject() {
        order.push('low');
      }
    }
    @Flavor()
    class High {
      @Embed() low = new Low();
      @Plug() high = j.plugin('high');
      inject() {
        order.push('high');
      }
    }
    const flavor = new High();
    const agent = new Agent(flavor, quiet);
    new Agent(flavor, quiet);
    await agent.start();
    await agent.start();
    await agent.stop();
    expect(order).toEqual(['low', 'high']);
  });

  it('lets the outer flavor re-wire what an inner flavor wired', async () => {
    const seen: string[] = [];
    class Consumer extends RecordingPlugin {
      declare deps: { store: { name: string } };
      override init() {
        seen.push(this.deps.store.name);
      }
    }
    @Flavor()
    class Lib {
      @Plug() store = j.plugin('real-store');
      @Plug() consumer = new Consumer('consumer', j.calls);
      inject() {
        this.consumer.deps = { store: this.store };
      }
    }
    @Flavor()
    class App {
      @Embed() lib = new Lib();
      @Plug() fake = j.plugin('fake-store');
      inject() {
        this.lib.consumer.deps = { store: this.fake };
      }
    }
    const agent = new Agent(new App(), quiet);
    await agent.start();
    await agent.stop();
    expect(seen).toEqual(['fake-store']);
    // the consumer now depends on the fake, so the fake starts before it
    expect(agent.plugins.map((p) => p.name)).toEqual(['store', 'fake', 'consumer']);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}
