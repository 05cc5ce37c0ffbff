import { Agent } from 'flavorkit';
import { migrations, TodoFlavor } from './flavor.js';

// TODO_DB_URL=postgres://... uses a server; unset, the data lives in embedded PGlite.
// TODO_CACHE_URL=redis://... adds the cache; unset, the service runs without it.
await new Agent(new TodoFlavor(), {
  name: 'todo',
  config: { db: { migrations } },
}).run();
