export { LeakError, TestSetupError } from '../errors.js';
export { testAgent } from './agent.js';
export type { LogLine, TestAgent, TestAgentOptions, TestResponse } from './agent.js';
export { mockPlugin } from './mock.js';
export type { MockBehaviour, MockPlugin } from './mock.js';
export type { FieldAt, PluginPath, Replacement, Swaps } from './paths.js';
export type { Leak } from './leaks.js';
