import { Agent, formatSettings } from 'flavorkit';
import { InventoryFlavor } from './flavor.js';

const agent = new Agent(new InventoryFlavor(), { name: 'inventory-service' });
if (process.argv.includes('--help')) {
  console.log(formatSettings(agent.describeConfig()));
} else {
  await agent.run();
}
