import { IsBoolean, IsInt, IsOptional, IsString, Matches, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of the `realtime` plugin. */
export class RealtimeConfig {
  @Setting({ description: 'path of the WebSocket endpoint on the HTTP server' })
  @Matches(/^\//)
  path = '/connection/websocket';

  @Setting({ description: 'path of the Server-Sent Events endpoint (receive only)' })
  @Matches(/^\//)
  ssePath = '/connection/uni_sse';

  @Setting({
    description: 'broker: memory, or a redis:// URL shared by every replica',
    secret: true,
  })
  @IsString()
  broker = 'memory';

  @Setting({ description: 'prefix of every key and channel the Redis broker uses' })
  @IsString()
  redisPrefix = 'flavorkit:realtime';

  @Setting({ description: 'topic of the event bus the replicas share (with the events plugin)' })
  @Matches(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, {
    message: 'eventsTopic may hold words of letters, digits, "-" and "_" separated by dots',
  })
  eventsTopic = 'realtime';

  @Setting({ description: 'HS256 secret connection tokens are signed with', secret: true })
  @IsOptional()
  @IsString()
  tokenSecret?: string;

  @Setting({ description: 'accept connections without a token (user "")' })
  @IsBoolean()
  anonymous = false;

  @Setting({ description: 's between server pings; the client answers each' })
  @IsInt()
  @Min(1)
  pingInterval = 25;

  @Setting({ description: 'ms a client gets to answer a ping before it is disconnected' })
  @IsInt()
  @Min(1)
  pongTimeout = 8_000;

  @Setting({ description: 'bytes queued for a client before it is dropped as slow' })
  @IsInt()
  @Min(1024)
  sendBufferLimit = 1_048_576;

  @Setting({ description: 'largest frame a client may send, in bytes' })
  @IsInt()
  @Min(256)
  maxMessageSize = 65_536;

  @Setting({ description: 'longest channel name' })
  @IsInt()
  @Min(1)
  maxChannelLength = 255;

  @Setting({ description: 'channels one connection may subscribe to' })
  @IsInt()
  @Min(1)
  channelsPerClient = 128;

  @Setting({ description: 'connections one user may hold on this replica; 0: no limit' })
  @IsInt()
  @Min(0)
  connectionsPerUser = 100;

  @Setting({ description: 'connections this replica accepts in total' })
  @IsInt()
  @Min(1)
  maxConnections = 10_000;

  @Setting({ description: 'ms a new connection has to send its connect command' })
  @IsInt()
  @Min(1)
  connectTimeout = 10_000;

  @Setting({ description: 'ms clients get to leave after the shutdown disconnect' })
  @IsInt()
  @Min(0)
  drainTimeout = 2_000;

  @Setting({
    description:
      's a presence entry lives without being refreshed (clients refresh it at each ping)',
  })
  @IsInt()
  @Min(3)
  presenceTtl = 60;
}
