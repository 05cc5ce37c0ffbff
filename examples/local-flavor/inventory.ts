import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { type InitContext, type Logger, type Plugin, Setting } from 'flavorkit';
import type { ServiceLabel } from 'flavorkit/plugins/service-label';
import type { StatusReporter } from 'flavorkit/plugins/status-check';

/** Settings of the inventory plugin. */
export class InventoryConfig {
  @Setting({ description: 'warehouse this agent counts' })
  @IsString()
  warehouse = 'main';

  @Setting({ description: 'shelves in the warehouse' })
  @IsInt()
  @Min(1)
  capacity = 100;

  @Setting({ description: 'key of the stock API', secret: true })
  @IsOptional()
  @IsString()
  apiKey?: string;
}

/** Counts stock; reports its health through a probe. */
export class InventoryPlugin implements Plugin {
  static readonly configClass = InventoryConfig;
  deps!: { label: ServiceLabel; status: StatusReporter; log: Logger };
  private stock = 0;
  private capacity = 0;

  init(ctx: InitContext): void {
    const cfg = ctx.config(InventoryConfig);
    this.capacity = cfg.capacity;
    this.stock = Math.floor(cfg.capacity / 2);
    this.deps.status.register(ctx.name, () => this.check(), { interval: 2_000, timeout: 500 });
    this.deps.log.info(`counting ${cfg.warehouse} for ${this.deps.label.label()}`, {
      capacity: cfg.capacity,
    });
  }

  private check(): void {
    if (this.stock > this.capacity) throw new Error('more stock than shelves');
  }
}
