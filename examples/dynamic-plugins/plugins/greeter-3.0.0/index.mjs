// greeter 3.0.0: written for the next major version of the host API.
export function createPlugin() {
  return { init() {} };
}
