/** Who asks to subscribe, as a namespace's `subscribe` rule sees it. */
export interface SubscribeRequestContext {
  channel: string;
  /** The user of the connection; `''` for an anonymous one. */
  user: string;
  /** The connection's id. */
  client: string;
}

/**
 * Who may subscribe: `'anyone'` connected, `'users'` (connections with a user),
 * or a function deciding per channel.
 */
export type SubscribeRule =
  'anyone' | 'users' | ((request: SubscribeRequestContext) => boolean | Promise<boolean>);

/** Options of a channel namespace (the part of a channel name before `:`). */
export interface NamespaceOptions {
  /** Publications kept per channel for history and recovery; 0 keeps none. */
  historySize?: number;
  /** Ms the history lives after the channel's last publication. */
  historyTtl?: number;
  /** Track who is subscribed (`presence`, `presence_stats`). */
  presence?: boolean;
  /** Send `join` and `leave` pushes to subscribers. */
  joinLeave?: boolean;
  /** Subscribers may publish into the channel. */
  publish?: boolean;
  /** Who may subscribe; default `'anyone'`. */
  subscribe?: SubscribeRule;
}

/** Namespace options with every field filled in. */
export type Namespace = Required<NamespaceOptions> & { name: string };

/** The options of the default namespace (channels without `:`) and of named ones. */
export interface NamespacesOptions {
  /** Options of channels without a namespace. */
  defaults?: NamespaceOptions;
  /** Options per namespace name; a channel of a namespace not listed is unknown. */
  namespaces?: Record<string, NamespaceOptions>;
}

const BASE: Required<NamespaceOptions> = {
  historySize: 0,
  historyTtl: 300_000,
  presence: false,
  joinLeave: false,
  publish: false,
  subscribe: 'anyone',
};

/** Finds a channel's namespace from its name. */
export class Namespaces {
  private readonly byName = new Map<string, Namespace>();

  constructor(options: NamespacesOptions = {}) {
    this.byName.set('', { ...BASE, ...options.defaults, name: '' });
    for (const [name, ns] of Object.entries(options.namespaces ?? {})) {
      if (!name || name.includes(':'))
        throw new Error(`namespace name "${name}" must be non-empty and contain no ":"`);
      this.byName.set(name, { ...BASE, ...ns, name });
    }
  }

  /** The namespace of `channel`, or undefined when its namespace is not configured. */
  of(channel: string): Namespace | undefined {
    const at = channel.indexOf(':');
    return this.byName.get(at < 0 ? '' : channel.slice(0, at));
  }
}

/** True when `request` may subscribe under `rule`. */
export async function maySubscribe(
  rule: SubscribeRule,
  request: SubscribeRequestContext,
): Promise<boolean> {
  if (rule === 'anyone') return true;
  if (rule === 'users') return request.user !== '';
  return (await rule(request)) === true;
}
