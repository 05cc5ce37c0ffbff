import type { InitContext, Plugin } from '../../src/index.js';

/** What dependents see of the service label. */
export interface ServiceLabel {
  /** The agent's label: `AgentOptions.label`, env `MICROSERVICE_LABEL`, or the agent's name. */
  label(): string;
}

/** Exposes the agent's service label to other plugins. */
export class ServiceLabelPlugin implements Plugin, ServiceLabel {
  private value?: string | undefined;

  init(ctx: InitContext): void {
    this.value = ctx.agent.label;
  }

  label(): string {
    if (this.value === undefined) {
      throw new Error('serviceLabel.label() was called before its init: list it in your deps');
    }
    return this.value;
  }
}
