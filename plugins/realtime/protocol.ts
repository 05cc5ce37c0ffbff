/**
 * The parts of the Centrifuge client protocol (JSON format) this server speaks:
 * command and reply shapes, error codes and disconnect codes, as defined in
 * `centrifugal/protocol` (`definitions/client.proto`).
 */

/** What the server knows of a connected client, as sent in presence, join and leave. */
export interface ClientInfo {
  user: string;
  client: string;
  conn_info?: unknown;
  chan_info?: unknown;
}

/** One publication in a channel; `offset` is set when the channel keeps history. */
export interface Publication {
  data: unknown;
  offset?: number;
  info?: ClientInfo;
  tags?: Record<string, string>;
}

/** A place in a channel's stream: the offset of the last publication and the stream's epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** A reply error: code and message; `temporary` tells the client to retry. */
export interface ReplyError {
  code: number;
  message: string;
  temporary?: boolean;
}

/** Error codes of replies (Centrifuge's numbering). */
export const Errors = {
  internal: { code: 100, message: 'internal server error', temporary: true },
  unauthorized: { code: 101, message: 'unauthorized' },
  unknownChannel: { code: 102, message: 'unknown channel' },
  permissionDenied: { code: 103, message: 'permission denied' },
  methodNotFound: { code: 104, message: 'method not found' },
  alreadySubscribed: { code: 105, message: 'already subscribed' },
  limitExceeded: { code: 106, message: 'limit exceeded' },
  badRequest: { code: 107, message: 'bad request' },
  notAvailable: { code: 108, message: 'not available' },
  tokenExpired: { code: 109, message: 'token expired' },
} as const satisfies Record<string, ReplyError>;

/** Why the server closes a connection: a close code and a reason. */
export interface Disconnect {
  code: number;
  reason: string;
}

/**
 * Disconnect codes (Centrifuge's numbering). Codes 3000-3499 tell the client to
 * reconnect, 3500-3999 not to.
 */
export const Disconnects = {
  shutdown: { code: 3001, reason: 'shutdown' },
  serverError: { code: 3004, reason: 'internal server error' },
  expired: { code: 3005, reason: 'connection expired' },
  slow: { code: 3008, reason: 'slow' },
  writeError: { code: 3009, reason: 'write error' },
  noPong: { code: 3012, reason: 'no pong' },
  invalidToken: { code: 3500, reason: 'invalid token' },
  badRequest: { code: 3501, reason: 'bad request' },
  stale: { code: 3502, reason: 'stale' },
  forceNoReconnect: { code: 3503, reason: 'force disconnect' },
  connectionLimit: { code: 3504, reason: 'connection limit' },
  channelLimit: { code: 3505, reason: 'channel limit' },
  permissionDenied: { code: 3507, reason: 'permission denied' },
} as const satisfies Record<string, Disconnect>;

/** A command as the client sends it: an id and exactly one method field. */
export interface Command {
  id?: number;
  connect?: ConnectRequest;
  subscribe?: SubscribeRequest;
  unsubscribe?: { channel?: string };
  publish?: { channel?: string; data?: unknown };
  presence?: { channel?: string };
  presence_stats?: { channel?: string };
  history?: HistoryRequest;
  refresh?: { token?: string };
  ping?: object;
  send?: { data?: unknown };
}

/** The connect request: a token, and server-side subscriptions to recover. */
export interface ConnectRequest {
  token?: string;
  data?: unknown;
  name?: string;
  version?: string;
  subs?: Record<string, SubscribeRequest>;
}

/** A subscribe request, with a position to recover from. */
export interface SubscribeRequest {
  channel?: string;
  recover?: boolean;
  offset?: number;
  epoch?: string;
}

/** A history request. */
export interface HistoryRequest {
  channel?: string;
  limit?: number;
  since?: { offset?: number; epoch?: string };
  reverse?: boolean;
}

/** The result of a subscribe. */
export interface SubscribeResult {
  recoverable?: boolean;
  positioned?: boolean;
  epoch?: string;
  offset?: number;
  publications?: Publication[];
  recovered?: boolean;
  was_recovering?: boolean;
}

/** The methods a command may carry; anything else is refused. */
export const METHODS = [
  'connect',
  'subscribe',
  'unsubscribe',
  'publish',
  'presence',
  'presence_stats',
  'history',
  'refresh',
  'ping',
  'send',
] as const;

/** One method of a command. */
export type Method = (typeof METHODS)[number];

/** The method a decoded command carries, or undefined when it carries none or an unknown one. */
export function methodOf(command: Record<string, unknown>): Method | 'pong' | undefined {
  let found: Method | undefined;
  for (const key of Object.keys(command)) {
    if (key === 'id') continue;
    if (!(METHODS as readonly string[]).includes(key) || found) return undefined;
    found = key as Method;
  }
  // an empty command answers the server's ping
  if (!found) return command.id === undefined ? 'pong' : undefined;
  return found;
}
