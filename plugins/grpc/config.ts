import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of the `grpc` plugin. */
export class GrpcConfig {
  @Setting({ description: 'address to listen on; 0.0.0.0 for every interface' })
  @IsString()
  host = '127.0.0.1';

  @Setting({ description: 'port to listen on; 0 picks a free one' })
  @IsInt()
  @Min(0)
  @Max(65535)
  port = 50051;

  @Setting({ description: 'path of a Unix domain socket to listen on as well; unset: none' })
  @IsOptional()
  @IsString()
  socket?: string | undefined;

  @Setting({
    description: 'ms in-flight calls get to finish when stopping; then they are cancelled',
  })
  @IsInt()
  @Min(0)
  drainTimeout = 10_000;

  @Setting({ description: 'serve gRPC server reflection, so that tools can list the services' })
  @IsBoolean()
  reflection = true;

  @Setting({ description: 'largest accepted message in bytes' })
  @IsInt()
  @Min(1024)
  maxMessageSize = 4 * 1024 * 1024;
}
