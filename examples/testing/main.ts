import { Agent } from 'flavorkit';
import { NotesFlavor } from './flavor.js';

await new Agent(new NotesFlavor(), { name: 'notes' }).run();
