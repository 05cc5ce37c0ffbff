import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of a `RedisPlugin`: `url`, or `host` with the others. */
export class RedisConfig {
  @Setting({
    description: 'redis://[user:password@]host:port[/db] or rediss:// for TLS',
    secret: true,
  })
  @IsOptional()
  @IsString()
  url?: string;

  @Setting({ description: 'server host (when no url is set)' })
  @IsOptional()
  @IsString()
  host?: string;

  @Setting({ description: 'server port' })
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 6379;

  @Setting({ description: 'password (AUTH)', secret: true })
  @IsOptional()
  @IsString()
  password?: string;

  @Setting({ description: 'database number (SELECT)' })
  @IsInt()
  @Min(0)
  db = 0;

  @Setting({ description: 'connect with TLS' })
  @IsBoolean()
  tls = false;

  @Setting({ description: 'ms to connect before giving up' })
  @IsInt()
  @Min(1)
  connectTimeout = 5_000;

  @Setting({
    description: 'ms before the first reconnect attempt; doubles up to reconnectMaxDelay',
  })
  @IsInt()
  @Min(1)
  reconnectDelay = 100;

  @Setting({ description: 'most ms between reconnect attempts' })
  @IsInt()
  @Min(1)
  reconnectMaxDelay = 5_000;

  @Setting({
    description: 'at start, retry with backoff until the server answers or the start limit ends',
  })
  @IsBoolean()
  waitForServer = false;

  @Setting({ description: 'queue commands while reconnecting instead of failing them at once' })
  @IsBoolean()
  offlineQueue = false;

  @Setting({ description: 'ms between health probes (PING)' })
  @IsInt()
  @Min(10)
  healthInterval = 10_000;

  @Setting({ description: 'ms a health probe may take before the plugin counts as down' })
  @IsInt()
  @Min(1)
  healthTimeout = 2_000;

  @Setting({ description: 'ms pending commands get to finish when stopping' })
  @IsInt()
  @Min(0)
  drainTimeout = 5_000;
}
