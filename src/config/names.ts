/** `greeter-service` → `GREETER_SERVICE`, `poolSize` → `POOL_SIZE`. */
export function envSegment(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** The variable of one setting: `{AGENT}_{PLUGIN}_{SETTING}`. */
export function envName(agent: string, plugin: string, setting: string): string {
  return [agent, plugin, setting].map(envSegment).join('_');
}
