import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of a `PostgresPlugin`; with neither `url` nor `host` it runs embedded PGlite. */
export class PostgresConfig {
  @Setting({
    description: 'postgres://user:password@host:port/database; unset with no host: embedded PGlite',
    secret: true,
  })
  @IsOptional()
  @IsString()
  url?: string;

  @Setting({ description: 'server host; unset with no url: embedded PGlite' })
  @IsOptional()
  @IsString()
  host?: string;

  @Setting({ description: 'server port' })
  @IsInt()
  @Min(1)
  @Max(65535)
  port = 5432;

  @Setting({ description: 'user name; default the PGUSER/system user, as libpq does' })
  @IsOptional()
  @IsString()
  user?: string;

  @Setting({ description: 'password', secret: true })
  @IsOptional()
  @IsString()
  password?: string;

  @Setting({ description: 'database name; default the user name' })
  @IsOptional()
  @IsString()
  database?: string;

  @Setting({ description: 'connect with TLS, verifying the server certificate' })
  @IsBoolean()
  ssl = false;

  @Setting({ description: 'most connections the pool opens' })
  @IsInt()
  @Min(1)
  poolSize = 10;

  @Setting({ description: 'ms to open a connection before giving up' })
  @IsInt()
  @Min(1)
  connectTimeout = 5_000;

  @Setting({ description: 'ms a statement may run before the server cancels it; 0: no limit' })
  @IsInt()
  @Min(0)
  statementTimeout = 0;

  @Setting({ description: 'application_name the server shows; default the service label' })
  @IsOptional()
  @IsString()
  applicationName?: string;

  @Setting({
    description: 'at start, retry with backoff until the server answers or the start limit ends',
  })
  @IsBoolean()
  waitForServer = false;

  @Setting({ description: 'folder of .sql migrations applied in name order at start' })
  @IsOptional()
  @IsString()
  migrations?: string;

  @Setting({ description: 'table recording the applied migrations' })
  @IsString()
  migrationsTable = 'flavorkit_migrations';

  @Setting({ description: 'ms between health probes (SELECT 1)' })
  @IsInt()
  @Min(10)
  healthInterval = 10_000;

  @Setting({ description: 'ms a health probe may take before the plugin counts as down' })
  @IsInt()
  @Min(1)
  healthTimeout = 2_000;

  @Setting({ description: 'ms in-flight queries get to finish when stopping' })
  @IsInt()
  @Min(0)
  drainTimeout = 10_000;

  @Setting({ description: 'embedded PGlite only: folder to keep the data in; unset: in memory' })
  @IsOptional()
  @IsString()
  dataDir?: string;
}
