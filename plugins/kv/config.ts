import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** The backends a KV store can run on. */
export const BACKENDS = ['memory', 'etcd', 'redis'] as const;

/** Settings of the `kv` plugin. */
export class KvConfig {
  @Setting({ description: 'memory, etcd or redis; default: taken from url, else memory' })
  @IsOptional()
  @IsIn(BACKENDS)
  backend?: (typeof BACKENDS)[number];

  @Setting({
    description: 'server: etcd://host:2379[,host:2379] or redis://[:password@]host:6379[/db]',
    secret: true,
  })
  @IsOptional()
  @IsString()
  url?: string;

  @Setting({
    description:
      'prefix of every key on the server (etcd "<namespace>:", Redis hash tag); no ":" on etcd',
  })
  @IsString()
  namespace = 'flavorkit';

  @Setting({ description: 'largest encoded value in bytes' })
  @IsInt()
  @Min(1)
  @Max(1_048_576 * 8)
  maxValueBytes = 1_048_576;

  @Setting({
    description: 'revisions of history kept for watches (memory, redis); etcd keeps its own',
  })
  @IsInt()
  @Min(1)
  history = 10_000;

  @Setting({ description: 'memory backend: JSON file to keep the data in across restarts' })
  @IsOptional()
  @IsString()
  file?: string;

  @Setting({ description: 'ms a call to the server may take, and to connect' })
  @IsInt()
  @Min(1)
  requestTimeout = 5_000;

  @Setting({ description: 'redis backend: ms between sweeps for expired keys' })
  @IsInt()
  @Min(10)
  reapInterval = 250;

  @Setting({ description: 'ms between health checks of the server connection' })
  @IsInt()
  @Min(100)
  healthInterval = 5_000;

  @Setting({
    description: 'retry connecting until the start time limit ends instead of failing at once',
  })
  @IsBoolean()
  waitForServer = false;
}
