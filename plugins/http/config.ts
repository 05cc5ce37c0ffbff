import { IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of the `http` plugin. */
export class HttpConfig {
  @Setting({ description: 'address to listen on; 0.0.0.0 for every interface' })
  @IsString()
  host = '127.0.0.1';

  @Setting({ description: 'port to listen on; 0 picks a free one' })
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 9191;

  @Setting({
    description:
      'connections waiting to be accepted (capped by net.core.somaxconn); bursts of reconnecting WebSocket clients need more than 511',
  })
  @IsInt()
  @Min(1)
  backlog = 4096;

  @Setting({
    description: 'ms in-flight requests get to finish when stopping; 0 or Infinity: no limit',
  })
  @IsNumber({ allowInfinity: true, allowNaN: false })
  @Min(0)
  drainTimeout = 10_000;

  @Setting({ description: 'largest accepted JSON body, e.g. 100kb, 1mb' })
  @IsString()
  bodyLimit = '100kb';

  @Setting({ description: 'deepest nesting of objects and arrays accepted in a JSON body' })
  @IsInt()
  @Min(1)
  bodyDepth = 32;

  @Setting({
    description: 'bearer token for admin routes; unset: admin routes answer loopback clients only',
    secret: true,
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty({
    message: 'adminToken is empty: set a token, or leave it unset for loopback-only admin routes',
  })
  adminToken?: string | undefined;
}
