import { Agent } from 'flavorkit';
import { CompositeFlavor } from './flavor.js';

const agent = new Agent(new CompositeFlavor(), { name: 'composite' });
await agent.run();
