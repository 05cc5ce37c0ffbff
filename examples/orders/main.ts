import { Agent } from 'flavorkit';
import { OrdersFlavor } from './flavor.js';

// memory by default; ORDERS_EVENTS_URL=nats://127.0.0.1:4222 or amqp://... for a broker
await new Agent(new OrdersFlavor(), { name: 'orders' }).run();
