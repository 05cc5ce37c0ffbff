import { Embed, Flavor, Plug } from 'flavorkit';
import { EventsPlugin } from 'flavorkit/plugins/events';
import { ChatFlavor } from './flavor.js';

/** The chat with the event bus: replicas on one NATS (or RabbitMQ) share every channel. */
@Flavor()
export class ChatReplicaFlavor {
  @Embed() chat = new ChatFlavor();
  @Plug() events = new EventsPlugin();

  inject(): void {
    const { realtime, rpc } = this.chat;
    this.events.deps = { status: rpc.local.statusCheck, metrics: rpc.prometheus };
    realtime.deps = { ...realtime.deps, events: this.events };
  }
}
