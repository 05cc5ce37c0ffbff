import { Agent } from 'flavorkit';
import { ChatFlavor } from './flavor.js';

// memory defaults: anyone may join; set CHAT_ERRORS_DSN to report errors to Sentry
const agent = new Agent(new ChatFlavor(), {
  name: 'chat',
  config: { realtime: { anonymous: true } },
});
await agent.run();
