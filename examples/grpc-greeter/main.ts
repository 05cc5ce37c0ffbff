import { randomBytes } from 'node:crypto';
import { Agent, formatSettings } from 'flavorkit';
import { GrpcGreeterFlavor } from './flavor.js';

// who may call what: the same rules for HTTP routes and gRPC methods
const rules = [
  { match: '/greeter.Greeter/SayHello', roles: ['greeter'] },
  { match: 'GET /api/hello', roles: ['greeter'] },
];

const agent = new Agent(new GrpcGreeterFlavor(), {
  name: 'greeter',
  config: {
    auth: { rules },
    tracing: { enabled: true, exporter: 'memory' },
  },
  // a throw-away signing secret unless GREETER_AUTH_SECRET is set
  env: { GREETER_AUTH_SECRET: randomBytes(32).toString('hex'), ...process.env },
});
if (process.argv.includes('--help')) {
  console.log(formatSettings(agent.describeConfig()));
} else {
  await agent.run();
}
