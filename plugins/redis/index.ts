export { RedisConfig } from './config.js';
export {
  RedisPlugin,
  type MessageHandler,
  type RedisClient,
  type RedisConnection,
  type RedisDeps,
  type SubscribeOptions as RedisSubscribeOptions,
} from './plugin.js';
