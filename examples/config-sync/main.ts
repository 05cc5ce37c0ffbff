import { Agent } from 'flavorkit';
import { ConfigSyncFlavor } from './flavor.js';

await new Agent(new ConfigSyncFlavor(), { name: 'config-sync' }).run();
