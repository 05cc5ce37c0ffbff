import 'reflect-metadata';

export { Agent } from './agent.js';
export { logPrinter } from './printer.js';
export type { Printer, PrinterSource } from './printer.js';
export type { AgentOptions } from './agent.js';
export { AGENT_STATES, PHASES, PLUGIN_STATES } from './vocabulary.js';
export type {
  AgentState,
  AgentStatus,
  PluginInfo,
  PluginState,
  StartPhase,
  StopPhase,
} from './vocabulary.js';
export type { AgentEventName, AgentEvents, AgentListener } from './events.js';
export { Embed, Flavor, Plug } from './flavor.js';
export type { PlugOptions } from './flavor.js';
export { isPlugin } from './plugin.js';
export type { AgentView, InitContext, NamedPlugin, Phase, Plugin } from './plugin.js';
export {
  AgentStateError,
  AgentStopError,
  ConfigError,
  DependencyCycleError,
  DuplicatePluginError,
  FlavorkitError,
  InvalidPluginError,
  KvError,
  PluginStartError,
  PluginStopError,
  PluginTimeoutError,
  messageOf,
  toError,
} from './errors.js';
export type { ConfigIssue, ErrorCode, KvErrorReason } from './errors.js';
export { setTimer, timeLimit, withTimeout } from './limits.js';
export { backoffDelay, pause } from './backoff.js';
export { importPeer } from './peer.js';
export { envName } from './config/names.js';
export { Setting } from './config/setting.js';
export {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
} from './config/rules.js';
export type { SettingOptions } from './config/setting.js';
export { loadConfig, redacted } from './config/load.js';
export type { ConfigClass, ConfigSources } from './config/load.js';
export { formatSettings } from './config/describe.js';
export type { SettingDescription } from './config/describe.js';
export { LogRegistry } from './logging/registry.js';
export type {
  LogFormat,
  LogLineEvent,
  LogRegistryOptions,
  LoggerInfo,
} from './logging/registry.js';
export { LOG_LEVELS, isLogLevel } from './logging/logger.js';
export type { LogFields, LogLevel, Logger } from './logging/logger.js';
