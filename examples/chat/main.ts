import { Agent } from 'flavorkit';
import { ChatFlavor } from './flavor.js';
import { ChatReplicaFlavor } from './replicas.js';

// memory defaults: anyone may join; set CHAT_ERRORS_DSN to report errors to Sentry,
// CHAT_EVENTS_URL=nats://127.0.0.1:4222 to run several replicas sharing the channels
const flavor = process.env.CHAT_EVENTS_URL ? new ChatReplicaFlavor() : new ChatFlavor();
const agent = new Agent(flavor, {
  name: 'chat',
  config: { realtime: { anonymous: true } },
});
await agent.run();
