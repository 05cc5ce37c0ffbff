import { randomUUID } from 'node:crypto';
import { IsInt, IsOptional, IsString, Min } from 'class-validator';
import { messageOf, Setting, type InitContext, type Logger, type Plugin } from '../../src/index.js';
import type { OverallState, StatusReporter } from '../status-check/index.js';
import { HeldKey } from './held.js';
import type { KvStore, Watch } from './types.js';

/** One running instance of a service. */
export interface ServiceInstance {
  service: string;
  id: string;
  /** Base URL of its HTTP server, when it has one. */
  address?: string;
  metadata: Record<string, string>;
}

/** Finding the instances of a service. */
export interface ServiceRegistry {
  /** The instances registered now, sorted by id. */
  resolve(service: string): Promise<ServiceInstance[]>;
  /** Calls `listener` with the instances at once and after every change. */
  watch(service: string, listener: (instances: ServiceInstance[]) => void): Promise<Watch>;
}

/** Settings of the service registry plugin. */
export class RegistryConfig {
  @Setting({ description: 'service name to register under; default: the agent label' })
  @IsOptional()
  @IsString()
  service?: string;

  @Setting({ description: 'instance id; default: a new random id per start' })
  @IsOptional()
  @IsString()
  instanceId?: string;

  @Setting({ description: 'address to announce; default: the HTTP server address' })
  @IsOptional()
  @IsString()
  address?: string;

  @Setting({ description: 'ms an instance stays registered after its process stops refreshing' })
  @IsInt()
  @Min(1_000)
  ttl = 10_000;
}

/** Where instances live in the key space. */
export const SERVICES = '/_services/';

const READY: ReadonlySet<OverallState> = new Set(['ok', 'degraded']);
const RETRY_MS = 1_000;

interface Registration {
  abort: AbortController;
  held: Promise<HeldKey<unknown> | undefined>;
}

/**
 * Registers this instance (service label, id, HTTP address, metadata) under a TTL
 * while the agent is ready (ok or degraded, as `/readiness` answers 200), takes it
 * out when readiness fails and on stop, and resolves and watches instances.
 */
export class ServiceRegistryPlugin implements Plugin, ServiceRegistry {
  static readonly configClass = RegistryConfig;
  deps!: {
    kv: KvStore;
    status: StatusReporter;
    http?: { address(): { host: string; port: number } };
  };
  private me?: ServiceInstance;
  private cfg = new RegistryConfig();
  private log?: Logger;
  private registration?: Registration | undefined;
  private retry?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private stopping = false;
  private leaving: Promise<void> = Promise.resolve();

  constructor(private readonly options: { metadata?: Record<string, string> } = {}) {}

  /** This instance as registered, once started. */
  get instance(): ServiceInstance | undefined {
    return this.me;
  }

  init(ctx: InitContext): void {
    this.cfg = ctx.config(RegistryConfig);
    this.log = ctx.log;
    this.stopping = false;
    const address =
      this.cfg.address ??
      (this.deps.http &&
        `http://${this.deps.http.address().host}:${this.deps.http.address().port}`);
    this.me = {
      service: this.cfg.service ?? ctx.agent.label,
      id: this.cfg.instanceId ?? randomUUID(),
      ...(address ? { address } : {}),
      metadata: this.options.metadata ?? {},
    };
  }

  afterInit(): void {
    const { status } = this.deps;
    this.unsubscribe = status.on('change', (change) => {
      if (change.plugin === undefined) this.follow(change.state);
    });
    this.follow(status.agentStatus().state);
  }

  async beforeClose(): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    await this.deregister();
  }

  async resolve(service: string): Promise<ServiceInstance[]> {
    const instances: ServiceInstance[] = [];
    for await (const entry of this.deps.kv.list(`${SERVICES}${service}/`))
      instances.push(entry.value as ServiceInstance);
    return instances;
  }

  watch(service: string, listener: (instances: ServiceInstance[]) => void): Promise<Watch> {
    const known = new Map<string, ServiceInstance>();
    const emit = () => listener([...known.values()].sort((a, b) => (a.id < b.id ? -1 : 1)));
    return this.deps.kv.sync(`${SERVICES}${service}/`, {
      onResync(snapshot) {
        known.clear();
        for (const e of snapshot) known.set(e.key, e.value as ServiceInstance);
        emit();
      },
      onChange(event) {
        if (event.type === 'put') known.set(event.key, event.value as ServiceInstance);
        else known.delete(event.key);
        emit();
      },
    });
  }

  private follow(state: OverallState): void {
    if (READY.has(state)) this.register();
    else void this.deregister();
  }

  private register(): void {
    if (this.registration || this.stopping || !this.me) return;
    const me = this.me;
    const abort = new AbortController();
    const registration: Registration = {
      abort,
      held: HeldKey.take<unknown>(this.deps.kv, `${SERVICES}${me.service}/${me.id}`, me, {
        ttl: this.cfg.ttl,
        signal: abort.signal,
      }).then(
        (held) => {
          this.log?.info(`registered ${me.service}/${me.id}`);
          void held.lost.then(() => this.again(registration));
          return held;
        },
        (err: unknown) => {
          if (!abort.signal.aborted) this.log?.warn(`could not register: ${messageOf(err)}`);
          this.again(registration);
          return undefined;
        },
      ),
    };
    this.registration = registration;
  }

  /** A registration ended without being taken out: register again while still ready. */
  private again(registration: Registration): void {
    if (this.registration !== registration) return;
    this.registration = undefined;
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (READY.has(this.deps.status.agentStatus().state)) this.register();
    }, RETRY_MS);
    this.retry.unref();
  }

  /** Takes the instance out; resolves once every take-out so far has finished. */
  private deregister(): Promise<void> {
    clearTimeout(this.retry);
    const registration = this.registration;
    this.registration = undefined;
    if (registration)
      this.leaving = Promise.all([this.leaving, this.leave(registration)]).then(() => undefined);
    return this.leaving;
  }

  private async leave(registration: Registration): Promise<void> {
    registration.abort.abort();
    const held = await registration.held;
    await held?.release().catch(() => undefined);
    if (held && this.me) this.log?.info(`took ${this.me.service}/${this.me.id} out`);
  }
}
