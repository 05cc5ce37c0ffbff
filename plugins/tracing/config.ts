import { IsBoolean, IsIn, IsNumber, IsOptional, IsString, IsUrl, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of the `tracing` plugin. */
export class TracingConfig {
  @Setting({ description: 'record traces; off by default, and then nothing is loaded or measured' })
  @IsBoolean()
  enabled = false;

  @Setting({
    description: 'otlp (OTLP over HTTP to the url) or memory (kept in the process, for tests)',
  })
  @IsIn(['otlp', 'memory'])
  exporter: 'otlp' | 'memory' = 'otlp';

  @Setting({ description: 'OTLP/HTTP traces endpoint of the collector' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  url = 'http://127.0.0.1:4318/v1/traces';

  @Setting({ description: 'service.name of the spans; default: the service label' })
  @IsOptional()
  @IsString()
  serviceName?: string | undefined;

  @Setting({
    description: 'share of new traces recorded, 0 to 1; requests with a sampled parent follow it',
  })
  @IsNumber()
  @Min(0)
  @Max(1)
  sampleRatio = 1;
}
