import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  Setting,
} from '../../src/index.js';
import { SIZE } from './body.js';

/** The engines the `http` plugin can serve with. */
export const ENGINES = ['express', 'fastify'] as const;

/** An engine the `http` plugin can serve with. */
export type HttpEngine = (typeof ENGINES)[number];

/** Settings of the `http` plugin. */
export class HttpConfig {
  @Setting({
    description: 'express (the default; express handlers and middleware) or fastify (faster)',
  })
  @IsIn(ENGINES, { message: `engine must be one of ${ENGINES.join(', ')}` })
  engine: HttpEngine = 'express';

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
      'ms the server keeps serving once stopping began, while load balancers see /readiness 503; then it drains',
  })
  @IsNumber({ allowInfinity: false, allowNaN: false })
  @Min(0)
  shutdownDelay = 0;

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
  @Matches(SIZE, { message: 'bodyLimit must be a size such as 100kb, 1mb or 65536 (bytes)' })
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
  // a client cannot send these in a header: the token would match no request
  @Matches(/^(?:\S(?:[^\r\n]*\S)?)?$/, {
    message: 'adminToken starts or ends with white space or holds a line break: remove them',
  })
  adminToken?: string | undefined;
}
