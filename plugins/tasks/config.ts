import { IsInt, Max, Min } from 'class-validator';
import { Setting } from '../../src/index.js';

/** Settings of the `tasks` plugin. */
export class TasksConfig {
  @Setting({ description: 'tasks running at once' })
  @IsInt()
  @Min(1)
  @Max(1_000)
  workers = 4;

  @Setting({ description: 'tasks waiting for a worker before run() refuses more' })
  @IsInt()
  @Min(0)
  queueSize = 100;

  @Setting({
    description: 'ms running tasks get to finish when stopping, before their signal aborts',
  })
  @IsInt()
  @Min(0)
  drainTimeout = 5_000;

  @Setting({ description: 'ms aborted tasks get to return before the stop goes on without them' })
  @IsInt()
  @Min(0)
  abortGrace = 1_000;

  @Setting({ description: 'finished tasks kept for the diagnostics page' })
  @IsInt()
  @Min(0)
  history = 50;
}
