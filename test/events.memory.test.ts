import { eventsConformance } from './helpers/events-conformance.js';

eventsConformance('the memory backend', () => ({}));
