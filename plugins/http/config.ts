import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
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

  @Setting({ description: 'ms in-flight requests get to finish when stopping' })
  @IsInt()
  @Min(0)
  drainTimeout = 10_000;

  @Setting({ description: 'largest accepted JSON or text body, e.g. 100kb, 1mb' })
  @IsString()
  bodyLimit = '1mb';

  @Setting({
    description: 'bearer token for admin routes; unset: admin routes answer loopback clients only',
    secret: true,
  })
  @IsOptional()
  @IsString()
  adminToken?: string | undefined;
}
