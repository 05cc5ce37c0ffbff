import { fileURLToPath } from 'node:url';
import { Agent, Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { GreeterPlugin } from './greeter.js';

/** The RPC flavor plus the greeter; the HTTP plugin serves with Fastify. */
@Flavor()
class FastifyHelloFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() greeter = new GreeterPlugin();

  inject(): void {
    this.greeter.deps = { http: this.rpc.http };
  }
}

// config/http.yaml sets engine: fastify
const agent = new Agent(new FastifyHelloFlavor(), {
  name: 'fastify-hello',
  configDir: fileURLToPath(new URL('./config', import.meta.url)),
});
await agent.run();
