import { Embed, Flavor, Plug } from 'flavorkit';
import { RpcFlavor } from 'flavorkit/flavors/rpc';
import { AuthPlugin } from 'flavorkit/plugins/auth';
import { GrpcPlugin } from 'flavorkit/plugins/grpc';
import { TracingPlugin } from 'flavorkit/plugins/tracing';
import { GreeterPlugin } from './greeter.js';

/** The RPC flavor plus a gRPC server, JWT access rules, tracing and the greeter. */
@Flavor()
export class GrpcGreeterFlavor {
  @Embed() rpc = new RpcFlavor();
  @Plug() grpc = new GrpcPlugin();
  @Plug() tracing = new TracingPlugin();
  @Plug() auth = new AuthPlugin();
  @Plug() greeter = new GreeterPlugin();

  inject(): void {
    const { http, prometheus, local } = this.rpc;
    this.grpc.deps = { status: local.statusCheck, metrics: prometheus };
    this.tracing.deps = { http, grpc: this.grpc };
    this.auth.deps = { http, grpc: this.grpc };
    this.greeter.deps = { grpc: this.grpc, http, auth: this.auth, tracing: this.tracing };
  }
}
