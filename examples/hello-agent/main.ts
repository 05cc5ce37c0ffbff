import { Agent, formatSettings } from 'flavorkit';
import { HelloFlavor } from './flavor.js';

const agent = new Agent(new HelloFlavor(), { name: 'hello' });
if (process.argv.includes('--help')) {
  console.log(formatSettings(agent.describeConfig()));
} else {
  await agent.run();
}
