import { IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of the `error-reporting` plugin. */
export class ErrorReportingConfig {
  @Setting({
    description: 'Sentry DSN; unset: nothing is reported and nothing is loaded',
    secret: true,
  })
  @IsOptional()
  @IsString()
  dsn?: string;

  @Setting({ description: 'environment reported; default: the service label' })
  @IsOptional()
  @IsString()
  environment?: string;

  @Setting({ description: 'share of reports sent, 0 to 1' })
  @IsNumber()
  @Min(0)
  @Max(1)
  sampleRate = 1;

  @Setting({ description: 'reports sent per minute at most; more are dropped' })
  @IsInt()
  @Min(1)
  maxPerMinute = 60;

  @Setting({ description: 'ms the stop waits for reports still being sent' })
  @IsInt()
  @Min(0)
  flushTimeout = 2_000;

  @Setting({ description: 'ms one send may take before it is given up' })
  @IsInt()
  @Min(100)
  sendTimeout = 5_000;

  @Setting({ description: 'recent warn/error log lines sent with each report' })
  @IsInt()
  @Min(0)
  maxBreadcrumbs = 30;
}
