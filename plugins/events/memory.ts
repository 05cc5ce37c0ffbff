import type { Consumer, Delivery, Envelope, HealthListener, Transport } from './transport.js';

interface Stored extends Envelope {
  deliveries: number;
}

interface Member {
  prefetch: number;
  unsettled: number;
  deliver: (delivery: Delivery) => void;
}

/** One group's queue of a topic: messages wait here until a member takes them. */
class GroupQueue {
  readonly queue: Stored[] = [];
  readonly members: Member[] = [];
  /** Keys with a message out: the key's next one waits, so it runs on one member at a time. */
  private readonly busyKeys = new Set<string>();
  private next = 0;
  private scheduled = false;

  constructor(private readonly topic: string) {}

  push(message: Stored, front = false): void {
    if (front) this.queue.unshift(message);
    else this.queue.push(message);
    this.schedule();
  }

  /** Hands messages out on a later turn, so `publish` never runs handlers itself. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    let at = 0;
    while (at < this.queue.length) {
      const { key } = this.queue[at]!;
      if (key !== undefined && this.busyKeys.has(key)) {
        at++;
        continue;
      }
      const member = this.freeMember();
      if (!member) return;
      this.handOut(member, this.queue.splice(at, 1)[0]!);
    }
  }

  private freeMember(): Member | undefined {
    for (let i = 0; i < this.members.length; i++) {
      const member = this.members[(this.next + i) % this.members.length]!;
      if (member.unsettled < member.prefetch) {
        this.next = (this.next + i + 1) % this.members.length;
        return member;
      }
    }
    return undefined;
  }

  private handOut(member: Member, message: Stored): void {
    message.deliveries++;
    member.unsettled++;
    if (message.key !== undefined) this.busyKeys.add(message.key);
    let settled = false;
    const settle = (retry: boolean) => {
      if (settled) return;
      settled = true;
      member.unsettled--;
      if (message.key !== undefined) this.busyKeys.delete(message.key);
      // a returned message goes first, and its key is free again: it is next
      if (retry) this.push(message, true);
      else this.schedule();
    };
    member.deliver({
      ...message,
      topic: this.topic,
      ack: () => settle(false),
      retry: () => settle(true),
      touch: () => undefined,
    });
  }
}

/**
 * The in-process backend: a queue per group and topic, held in memory for the
 * life of the plugin. It keeps the same delivery rules as the brokers, so an
 * application tested on it behaves the same on NATS or RabbitMQ; messages do
 * not outlive the process.
 */
export class MemoryTransport implements Transport {
  private readonly topics = new Map<string, Map<string, GroupQueue>>();
  private privateGroups = 0;

  publish(topic: string, message: Envelope): Promise<void> {
    for (const group of this.topics.get(topic)?.values() ?? []) {
      group.push({ ...message, headers: { ...message.headers }, deliveries: 0 });
    }
    return Promise.resolve();
  }

  declare(topic: string, group: string): Promise<void> {
    this.group(topic, group);
    return Promise.resolve();
  }

  consume(
    topic: string,
    group: string | undefined,
    prefetch: number,
    deliver: (delivery: Delivery) => void,
  ): Promise<Consumer> {
    const name = group ?? `\0private-${++this.privateGroups}`;
    const queue = this.group(topic, name);
    const member: Member = { prefetch, unsettled: 0, deliver };
    queue.members.push(member);
    queue.schedule();
    return Promise.resolve({
      stop: () => {
        const at = queue.members.indexOf(member);
        if (at >= 0) queue.members.splice(at, 1);
        if (group === undefined) this.topics.get(topic)?.delete(name);
        return Promise.resolve();
      },
    });
  }

  onHealth(listener: HealthListener): void {
    listener(true);
  }

  close(): Promise<void> {
    this.topics.clear();
    return Promise.resolve();
  }

  private group(topic: string, name: string): GroupQueue {
    let groups = this.topics.get(topic);
    if (!groups) this.topics.set(topic, (groups = new Map<string, GroupQueue>()));
    let queue = groups.get(name);
    if (!queue) groups.set(name, (queue = new GroupQueue(topic)));
    return queue;
  }
}
